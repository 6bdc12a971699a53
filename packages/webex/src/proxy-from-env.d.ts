// proxy-from-env 2 ships no types. Its one function: the proxy URL for `url` from the environment,
// or '' when the URL goes direct (NO_PROXY, or no variable for its scheme).
declare module 'proxy-from-env' {
  export function getProxyForUrl(url: string | URL): string;
}
