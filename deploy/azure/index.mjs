// The function app's entry (package.json "main"): registers the webhook, the timer and the queue drain.
import '@herald/broadcast/functions/azure';
