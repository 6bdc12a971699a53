/**
 * The emulator's webhook subsystem: delivery of world changes to registered webhooks, and a control
 * surface for tests (options, faults, card submissions, the delivery log). Registration rules for
 * the REST subsystem are in `validate.ts`.
 *
 * HTTP control routes (JSON), beside the server's `/_emulator` API:
 *   GET  /_emulator/webhooks/deliveries      -> { items: DeliveryRecord[], stats }
 *   PUT  /_emulator/webhooks/options         <- Partial<DeliveryOptions>
 *   PUT  /_emulator/webhooks/faults          <- Partial<WebhookFaults & { messageNotFoundForMs }>
 *   POST /_emulator/webhooks/cards/submit    <- { person, messageId, inputs } -> attachment action
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeId } from '@herald/webex';
import type { EmulatorContext, Subsystem } from '../context.js';
import { attachmentActionView } from '../rest/views.js';
import { seededRandom } from '../state/seeds.js';
import type { AttachmentAction, Change } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';
import {
  DEFAULT_DELIVERY_OPTIONS,
  type DeliveryOptions,
  type DeliveryRecord,
  type DeliveryStats,
  Dispatcher,
  type WebhookFaults,
} from './dispatcher.js';

export type { DeliveryOptions, DeliveryRecord, DeliveryStats, WebhookFaults } from './dispatcher.js';
export { validateWebhookCreate, validateWebhookUpdate } from './validate.js';

export interface WebhookFaultSettings extends WebhookFaults {
  /** GET of a just-created message answers 404 for this long, ms (shared with REST, docs/protocol.md §8.5). */
  messageNotFoundForMs: number;
}

/**
 * An attachment action as `GET /attachment/actions/{id}` shows it: the world's fields, with REST
 * ids in place of uuids.
 */
export type SubmittedAction = AttachmentAction;

export interface WebhooksControl {
  /** Current delivery options. */
  readonly options: Readonly<DeliveryOptions>;
  /** Change delivery options (timeout, retries, backoff, deactivation threshold, ordering). */
  configure(options: Partial<DeliveryOptions>): void;
  /** Current faults. */
  readonly faults: Readonly<WebhookFaultSettings>;
  /** Turn faults on or off; unspecified ones keep their value. */
  setFaults(faults: Partial<WebhookFaultSettings>): void;
  /**
   * A person presses Submit on a card: creates the attachment action (and its
   * `attachmentActions:created` event). `person`: PEOPLE REST id, uuid or e-mail; `messageId`:
   * MESSAGE REST id or uuid.
   */
  submitCard(person: string, messageId: string, inputs: Record<string, unknown>): SubmittedAction;
  /** The delivery log, oldest first (bounded by `options.logSize`). Never holds secrets. */
  deliveries(
    filter?: Partial<Pick<DeliveryRecord, 'webhookId' | 'resource' | 'event' | 'outcome'>>,
  ): DeliveryRecord[];
  stats(): DeliveryStats;
  clearLog(): void;
  /** Settles once every queued delivery was sent (or given up). */
  idle(): Promise<void>;
}

export interface InstallWebhooksOptions {
  /** Randomness for the reorder fault; default a fixed-seed generator (deterministic runs). */
  random?: () => number;
  /** Wait used between retries; default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

export function installWebhooks(
  ctx: EmulatorContext,
  install: InstallWebhooksOptions = {},
): Subsystem & { control: WebhooksControl } {
  const { world } = ctx;
  const dispatcher = new Dispatcher(
    world,
    install.random ?? seededRandom(0x5eed),
    install.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  );
  const onChange = (change: Change) => {
    try {
      dispatcher.onChange(change);
    } catch (err) {
      // A delivery bug must never break the world mutation that emitted the change.
      ctx.log('webhooks: dispatch failed', { kind: change.kind, error: (err as Error).message });
    }
  };
  const onReset = () => dispatcher.reset();
  world.events.on('change', onChange);
  world.events.on('reset', onReset);

  const control: WebhooksControl = {
    get options() {
      return { ...dispatcher.options };
    },
    configure(options) {
      dispatcher.options = checkedOptions({ ...dispatcher.options, ...options });
    },
    get faults() {
      return { ...dispatcher.faults, messageNotFoundForMs: ctx.faults.messageNotFoundForMs };
    },
    setFaults(faults) {
      const { messageNotFoundForMs, ...rest } = faults;
      if (messageNotFoundForMs !== undefined)
        ctx.faults.messageNotFoundForMs = nonNegative(messageNotFoundForMs, 'messageNotFoundForMs');
      const next = { ...dispatcher.faults, ...rest };
      nonNegative(next.reorderWindow, 'reorderWindow');
      dispatcher.faults = next;
    },
    submitCard(person, messageId, inputs) {
      const personUuid = resolvePerson(ctx, person);
      const messageUuid = decodeId(messageId)?.uuid ?? messageId;
      return attachmentActionView(world.submitCard(personUuid, messageUuid, inputs));
    },
    deliveries(filter = {}) {
      return dispatcher
        .deliveries()
        .filter((r) =>
          Object.entries(filter).every(([k, v]) => v === undefined || r[k as keyof DeliveryRecord] === v),
        );
    },
    stats: () => dispatcher.stats(),
    clearLog: () => dispatcher.clearLog(),
    idle: () => dispatcher.idle(),
  };

  return {
    control,
    handle: (req, res, url) => handleControl(control, req, res, url),
    reset: () => dispatcher.reset(),
    stop() {
      world.events.off('change', onChange);
      world.events.off('reset', onReset);
      dispatcher.stop();
    },
  };
}

function resolvePerson(ctx: EmulatorContext, person: string): string {
  if (person.includes('@')) {
    const found = ctx.world.personByEmail(person);
    if (!found) throw new EmulatorHttpError(404, `no person with e-mail ${person}`);
    return found.id;
  }
  return decodeId(person)?.uuid ?? person;
}

function checkedOptions(o: DeliveryOptions): DeliveryOptions {
  for (const key of [
    'timeoutMs',
    'retries',
    'backoffMs',
    'backoffMaxMs',
    'deactivateAfter',
    'logSize',
  ] as const) {
    nonNegative(o[key], key);
  }
  if (o.deactivateAfter < 1) throw new EmulatorHttpError(400, 'deactivateAfter: must be at least 1');
  return { ...DEFAULT_DELIVERY_OPTIONS, ...o, ordered: o.ordered !== false };
}

function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new EmulatorHttpError(400, `${name}: must be a non-negative number`);
  }
  return v;
}

const PREFIX = '/_emulator/webhooks/';

async function handleControl(
  control: WebhooksControl,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (!url.pathname.startsWith(PREFIX)) return false;
  const route = `${req.method} ${url.pathname.slice(PREFIX.length)}`;
  try {
    switch (route) {
      case 'GET deliveries':
        send(res, 200, { items: control.deliveries(), stats: control.stats() });
        return true;
      case 'PUT options':
        control.configure((await readJson(req)) as Partial<DeliveryOptions>);
        send(res, 200, control.options);
        return true;
      case 'PUT faults':
        control.setFaults((await readJson(req)) as Partial<WebhookFaultSettings>);
        send(res, 200, control.faults);
        return true;
      case 'POST cards/submit': {
        const body = (await readJson(req)) as { person?: unknown; messageId?: unknown; inputs?: unknown };
        if (typeof body.person !== 'string' || typeof body.messageId !== 'string') {
          throw new EmulatorHttpError(400, 'person and messageId are required strings');
        }
        const inputs = typeof body.inputs === 'object' && body.inputs !== null ? body.inputs : {};
        send(res, 200, control.submitCard(body.person, body.messageId, inputs as Record<string, unknown>));
        return true;
      }
      default:
        send(res, 404, { message: `no control route ${route}` });
        return true;
    }
  } catch (err) {
    const status = err instanceof EmulatorHttpError ? err.status : 500;
    send(res, status, { message: (err as Error).message });
    return true;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new EmulatorHttpError(413, 'control body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new EmulatorHttpError(400, 'body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
