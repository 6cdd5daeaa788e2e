import { randomUUID } from 'crypto';
import { UsageError } from '../errors';

/**
 * Message templates: JSON text with placeholders that are replaced, as text, for every message. The same placeholders
 * serve text templates (`MessageTemplate.parseText`, `publish --raw`), where `{{clientId}}` is the client id as it is.
 *
 * | placeholder | value |
 * |---|---|
 * | `{{seq}}` | the message number, 1..count |
 * | `{{now}}` | the epoch time in milliseconds (one value per message) |
 * | `{{iso}}` | the time as ISO-8601 text (put it in quotes) |
 * | `{{random}}` | a number in [0, 1) |
 * | `{{randomInt:min:max}}` | an integer in [min, max] |
 * | `{{uuid}}` | a random UUID (put it in quotes) |
 * | `{{clientId}}` | the MQTT client id (put it in quotes) |
 */
export const PLACEHOLDERS = ['seq', 'now', 'iso', 'random', 'randomInt:min:max', 'uuid', 'clientId'];

/** The default template. */
export const DEFAULT_TEMPLATE = '{"seq": {{seq}}, "ts": {{now}}, "temp": {{random}}}';

/** Sources of values (replaceable in tests). */
export interface TemplateEnvironment {
  readonly now?: () => number;
  readonly random?: () => number;
  readonly uuid?: () => string;
}

/** What one message is rendered with. */
export interface RenderContext {
  readonly seq: number;
  readonly clientId: string;
}

type Part = { readonly text: string } | { readonly render: (ctx: RenderContext, env: Required<TemplateEnvironment>) => string };

/** A parsed template. */
export class MessageTemplate {
  /** Parses a template; unknown or malformed placeholders are a usage error. */
  public static parse(text: string): MessageTemplate {
    return MessageTemplate.build(text, true);
  }

  /**
   * Parses a text template (`publish --raw`): the same placeholders, rendered as they are (`{{clientId}}` is not
   * JSON-escaped), and the result need not be JSON: render it, `validate` is for JSON templates.
   */
  public static parseText(text: string): MessageTemplate {
    return MessageTemplate.build(text, false);
  }

  private static build(text: string, json: boolean): MessageTemplate {
    const parts: Part[] = [];
    const re = /\{\{\s*([^{}]*?)\s*\}\}/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parts.push({ text: text.slice(last, m.index) });
      parts.push({ render: placeholder(m[1], json) });
      last = m.index + m[0].length;
    }
    if (last < text.length) parts.push({ text: text.slice(last) });
    return new MessageTemplate(text, parts);
  }

  private constructor(public readonly source: string, private readonly parts: Part[]) {}

  /** Renders one message. */
  public render(ctx: RenderContext, env: TemplateEnvironment = {}): string {
    // One timestamp per message: {{now}} and {{iso}} of one message agree.
    const clock = env.now ?? Date.now;
    let stamp: number | undefined;
    const full: Required<TemplateEnvironment> = {
      now: () => (stamp ??= clock()),
      random: env.random ?? Math.random,
      uuid: env.uuid ?? randomUUID,
    };
    return this.parts.map((p) => ('text' in p ? p.text : p.render(ctx, full))).join('');
  }

  /**
   * Renders a sample message and checks that it is JSON (an object or array), so a broken template is
   * reported before connecting. Returns the sample.
   */
  public validate(clientId: string, env: TemplateEnvironment = {}): string {
    const sample = this.render({ seq: 1, clientId }, env);
    let parsed: unknown;
    try {
      parsed = JSON.parse(sample);
    } catch (e) {
      throw new UsageError([
        `The message template does not render to JSON: ${(e as Error).message}.`,
        `  rendered: ${sample}`,
        '  Put text placeholders ({{iso}}, {{uuid}}, {{clientId}}) inside double quotes, numbers ({{seq}}, {{now}}, {{random}}, {{randomInt:1:9}}) without,',
        `  e.g. --template '${DEFAULT_TEMPLATE}'`,
      ].join('\n'));
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new UsageError(`The message template renders to ${sample}, a JSON ${typeof parsed}; the pipeline's rule (SELECT topic() as topic, * ...) needs a JSON object.`);
    }
    return sample;
  }
}

function placeholder(spec: string, json: boolean): (ctx: RenderContext, env: Required<TemplateEnvironment>) => string {
  switch (spec) {
    case 'seq': return (ctx) => String(ctx.seq);
    case 'now': return (_ctx, env) => String(env.now());
    case 'iso': return (_ctx, env) => new Date(env.now()).toISOString();
    case 'random': return (_ctx, env) => String(env.random());
    case 'uuid': return (_ctx, env) => env.uuid();
    case 'clientId': return json ? (ctx) => jsonStringBody(ctx.clientId) : (ctx) => ctx.clientId;
    default: break;
  }
  const ri = /^randomInt:(-?\d+):(-?\d+)$/.exec(spec);
  if (ri) {
    const min = Number(ri[1]);
    const max = Number(ri[2]);
    if (min > max) throw new UsageError(`Template placeholder {{${spec}}}: min ${min} is greater than max ${max}.`);
    return (_ctx, env) => String(min + Math.floor(env.random() * (max - min + 1)));
  }
  if (spec.startsWith('randomInt')) {
    throw new UsageError(`Template placeholder {{${spec}}} is malformed; write {{randomInt:MIN:MAX}} with integers, e.g. {{randomInt:1:100}}.`);
  }
  throw new UsageError(`Unknown template placeholder {{${spec}}}; supported: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`);
}

/** The client id escaped for use inside a JSON string. */
function jsonStringBody(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
