/**
 * The queryable table over a pipeline's parsed data (`table` prop): how its partition keys and Athena partition
 * projection follow from the data output prefix, which names Glue and Athena accept, and the SerDe of each format.
 * The construct writes the result into the Glue table; the local runner and `cdk-iot-pipeline query` read that
 * table back from the template (local/assembly/table.ts), so nothing outside the construct imports this file.
 *
 * How a prefix becomes partitions (each folder, i.e. each `/`-separated segment, is looked at on its own):
 * - a folder without expressions is fixed text;
 * - `name=<value>` (Hive style) names the partition key `name`, otherwise the name comes from the expression;
 * - one `!{timestamp:<field>}` (`yyyy`, `MM`, `dd`, `HH`, ...) → an `int` key with `integer` projection
 *   (`year`, `month`, `day`, `hour`, `minute`, ... unless Hive-named), zero-padded like Firehose writes it;
 * - several timestamp fields in one folder (`dt=!{timestamp:yyyy-MM-dd}`) → a `string` key with `date` projection
 *   (`dt` unless Hive-named) from the first year to `NOW`;
 * - one `!{partitionKeyFromLambda:<key>}` → a `string` key with `injected` projection (or `enum` with known values);
 * - anything else cannot be projected (a random string, two keys in one folder, a time zone, a fraction of a
 *   second, a timestamp in the object name) and throws `TableLayoutError` saying why.
 * A prefix without a timestamp gets `yyyy/MM/dd/HH/` appended, as Firehose does (not with dynamic partitioning).
 */
import { compilePrefix, compileTimeFormat, PrefixError, PrefixPart } from '../contract';

/** A prefix (or a name) that cannot become a Glue table with partition projection; the message says why. */
export class TableLayoutError extends Error {
  /** What to change: the prefix, the projected years, or the partition values. */
  public readonly subject: 'prefix' | 'years' | 'partitionKeyValues';
  constructor(message: string, subject: 'prefix' | 'years' | 'partitionKeyValues' = 'prefix') {
    super(message);
    this.name = 'TableLayoutError';
    this.subject = subject;
  }
}

/**
 * Database, table and column names (and partition keys): Athena accepts lowercase letters, digits and `_` only
 * (Glue lowercases what it stores), at most 255 characters; we also require a letter or `_` first, so a name never
 * needs quoting in SQL.
 */
export const GLUE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,254}$/;
/** Athena workgroup names. */
export const WORKGROUP_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,128}$/;

/** The years the time partition keys project unless given (`firstYear` to `firstYear + 9`). */
export const TABLE_PROJECTION_DEFAULTS = { firstYear: 2025, years: 10 } as const;

/** The smallest per-query bytes-scanned cutoff Athena accepts (10 MB). */
export const ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/** How the table's objects are stored: Glue `StorageDescriptor` classes and the table's `classification`. */
export const TABLE_STORAGE = {
  /** JSON Lines (the reference parser's `jsonLines`), read with the OpenX JSON SerDe (case-insensitive keys). */
  jsonLines: {
    classification: 'json',
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  },
  /** RFC 4180 CSV without a header (the reference parser's `csv`): OpenCSVSerde understands its quoting. */
  csv: {
    classification: 'csv',
    serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  },
  /** Parquet written by Firehose record format conversion. */
  parquet: {
    classification: 'parquet',
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  },
} as const;

/** A storage format of the table. */
export type TableStorageName = keyof typeof TABLE_STORAGE;

/** The SerDe parameters of the CSV table (OpenCSVSerde). */
export const CSV_SERDE_PARAMETERS = { separatorChar: ',', quoteChar: '"', escapeChar: '\\' } as const;

/** A unit of Athena's `date` projection (`projection.<key>.interval.unit`). */
export type DateProjectionUnit = 'YEARS' | 'MONTHS' | 'DAYS' | 'HOURS' | 'MINUTES' | 'SECONDS';

/** How Athena projects the values of one partition key. */
export type PartitionProjection =
  | { readonly type: 'integer'; readonly range: readonly [number, number]; readonly digits?: number }
  | { readonly type: 'date'; readonly format: string; readonly range: readonly [string, string]; readonly interval: number; readonly unit: DateProjectionUnit }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'injected' };

/** One partition key of the table. */
export interface PartitionKeyLayout {
  /** The column name (what queries filter on). */
  readonly name: string;
  /** Its Glue type: `int` for single time fields, `string` otherwise. */
  readonly type: 'int' | 'string';
  readonly projection: PartitionProjection;
  /** Where the value comes from: a timestamp pattern (Java), or a dynamic-partitioning key. */
  readonly source: { readonly kind: 'timestamp'; readonly pattern: string } | { readonly kind: 'partitionKey'; readonly key: string };
}

/** The table's layout under its bucket. */
export interface TableLayout {
  /** The key prefix before the first expression, cut after its last `/` (`parsed/`; empty = the bucket's root). */
  readonly location: string;
  /**
   * The folder of one partition, relative to the bucket, with `${key}` for each partition key; ends with `/`
   * (`parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/`).
   */
  readonly locationTemplate: string;
  readonly partitionKeys: readonly PartitionKeyLayout[];
}

/** How a prefix is read. */
export interface TableLayoutOptions {
  /** The stream partitions dynamically (Firehose then appends no timestamp). @default false */
  readonly dynamicPartitioning?: boolean;
  /** The first year the time keys project. @default TABLE_PROJECTION_DEFAULTS.firstYear */
  readonly firstYear?: number;
  /** The last year the integer year keys project (date keys end at `NOW`). @default firstYear + 9 */
  readonly lastYear?: number;
  /**
   * The values of dynamic-partitioning keys, by partition key name: such a key gets `enum` projection (a query may
   * leave it out) instead of `injected` (every query must filter it with `=`).
   * @default - every dynamic-partitioning key is injected
   */
  readonly partitionKeyValues?: Readonly<Record<string, readonly string[]>>;
}

/** One piece of a prefix, with timestamp patterns taken apart into their fields. */
type Atom =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly letter: string; readonly count: number; readonly pattern: string }
  | { readonly kind: 'partitionKey'; readonly key: string }
  | { readonly kind: 'random' };

/** Integer projection of a single time field: its key name, its values, whether Firehose pads it. */
const INTEGER_FIELDS: Record<string, { readonly name: string; readonly range?: readonly [number, number]; readonly maxCount?: number }> = {
  y: { name: 'year' },
  u: { name: 'year' },
  Y: { name: 'year' },
  M: { name: 'month', range: [1, 12], maxCount: 2 },
  L: { name: 'month', range: [1, 12], maxCount: 2 },
  d: { name: 'day', range: [1, 31] },
  D: { name: 'day_of_year', range: [1, 366] },
  H: { name: 'hour', range: [0, 23] },
  k: { name: 'hour', range: [1, 24] },
  K: { name: 'hour', range: [0, 11] },
  h: { name: 'hour', range: [1, 12] },
  m: { name: 'minute', range: [0, 59] },
  s: { name: 'second', range: [0, 59] },
};

/** The unit of each field a `date` projection can step by, finest last. */
const DATE_UNITS: Array<[string, DateProjectionUnit]> = [
  ['yuY', 'YEARS'], ['ML', 'MONTHS'], ['dDE', 'DAYS'], ['HkKha', 'HOURS'], ['m', 'MINUTES'], ['s', 'SECONDS'],
];

/** The name of a key for several time fields in one folder that is not Hive-named. */
const DATE_KEY_NAME = 'dt';

/**
 * The partition keys, their projection and the location template of the table over a data output prefix.
 * Throws `TableLayoutError` for a prefix that cannot be projected (the message quotes the prefix and says why).
 */
export function deriveTableLayout(prefix: string, options: TableLayoutOptions = {}): TableLayout {
  const firstYear = options.firstYear ?? TABLE_PROJECTION_DEFAULTS.firstYear;
  const lastYear = options.lastYear ?? firstYear + TABLE_PROJECTION_DEFAULTS.years - 1;
  if (!Number.isInteger(firstYear) || !Number.isInteger(lastYear) || firstYear < 1970 || lastYear > 9999 || firstYear > lastYear) {
    throw new TableLayoutError(`the projected years ${firstYear} to ${lastYear} are not a range of years; give whole years from 1970 to 9999, the first not after the last.`, 'years');
  }
  let parts: readonly PrefixPart[];
  try {
    parts = compilePrefix(prefix, { dynamicPartitioning: options.dynamicPartitioning }).parts;
  } catch (e) {
    throw new TableLayoutError((e as PrefixError).message);
  }
  const segments = splitSegments(atomsOf(parts));
  // The last piece has no "/" after it: it is the start of the object names, not a folder.
  const objectName = segments.pop()!;
  const quoted = `"${prefix}"`;
  const dynamic = objectName.find((a) => a.kind === 'field' || a.kind === 'partitionKey');
  if (dynamic) {
    throw new TableLayoutError(`${quoted} ends in "${render(objectName)}", after its last "/": the value of ${describe(dynamic)} would be part of the object names, not a folder Athena can project; end the prefix with "/".`);
  }

  let location = '';
  let inLocation = true;
  let template = '';
  const keys: PartitionKeyLayout[] = [];
  const values = options.partitionKeyValues ?? {};
  for (const segment of segments) {
    const expressions = segment.filter((a) => a.kind !== 'text');
    if (expressions.length === 0) {
      const text = render(segment) + '/';
      template += text;
      if (inLocation) location += text;
      continue;
    }
    inLocation = false;
    const key = segmentKey(quoted, segment, expressions, firstYear, lastYear, values);
    if (keys.some((k) => k.name === key.layout.name)) {
      throw new TableLayoutError(`${quoted} gives the partition key "${key.layout.name}" twice; name the folders apart in Hive style (<name>=<expression>/).`);
    }
    keys.push(key.layout);
    template += key.template + '/';
  }
  for (const name of Object.keys(values)) {
    const key = keys.find((k) => k.name === name);
    if (!key || key.source.kind !== 'partitionKey') {
      const dynamicKeys = keys.filter((k) => k.source.kind === 'partitionKey').map((k) => k.name);
      throw new TableLayoutError(`partition values are given for "${name}", which is not a dynamic-partitioning key of ${quoted}; its dynamic-partitioning keys are ${dynamicKeys.length ? dynamicKeys.join(', ') : 'none'}.`, 'partitionKeyValues');
    }
  }
  return { location, locationTemplate: template, partitionKeys: keys };
}

function segmentKey(
  quoted: string, segment: Atom[], expressions: Atom[], firstYear: number, lastYear: number, values: Readonly<Record<string, readonly string[]>>,
): { layout: PartitionKeyLayout; template: string } {
  const folder = render(segment);
  const random = expressions.find((a) => a.kind === 'random');
  if (random) {
    throw new TableLayoutError(`${quoted}: the folder "${folder}" holds !{firehose:random-string}, a different value for every object that Athena cannot enumerate; remove it or move it after the last "/" (into the object names).`);
  }
  const fields = expressions.filter((a): a is Extract<Atom, { kind: 'field' }> => a.kind === 'field');
  const partitionKeys = expressions.filter((a): a is Extract<Atom, { kind: 'partitionKey' }> => a.kind === 'partitionKey');
  if (partitionKeys.length > 0 && fields.length > 0) {
    throw new TableLayoutError(`${quoted}: the folder "${folder}" mixes a timestamp with !{partitionKeyFromLambda:${partitionKeys[0].key}}; a projected folder holds one partition key, so give each its own folder.`);
  }
  if (partitionKeys.length > 1) {
    throw new TableLayoutError(`${quoted}: the folder "${folder}" holds ${partitionKeys.length} partition keys; a projected folder holds one, so give each its own folder (e.g. ${partitionKeys.map((k) => `${k.key}=!{partitionKeyFromLambda:${k.key}}/`).join('')}).`);
  }

  // Hive style: fixed text up to the first "=" before any expression names the key.
  let hiveName: string | undefined;
  let value = segment;
  const first = segment[0];
  if (first.kind === 'text' && first.text.includes('=')) {
    const eq = first.text.indexOf('=');
    hiveName = first.text.slice(0, eq);
    const rest = first.text.slice(eq + 1);
    value = rest ? [{ kind: 'text', text: rest }, ...segment.slice(1)] : segment.slice(1);
  }
  const hivePrefix = hiveName !== undefined ? `${hiveName}=` : '';

  if (partitionKeys.length === 1) {
    const key = partitionKeys[0].key;
    const name = checkKeyName(quoted, folder, hiveName ?? key, hiveName !== undefined, `!{partitionKeyFromLambda:${key}}`);
    const known = values[name];
    let projection: PartitionProjection = { type: 'injected' };
    if (known !== undefined) {
      projection = { type: 'enum', values: checkEnumValues(name, known) };
    }
    return {
      layout: { name, type: 'string', projection, source: { kind: 'partitionKey', key } },
      template: hivePrefix + value.map((a) => (a.kind === 'text' ? a.text : `\${${name}}`)).join(''),
    };
  }

  const pattern = fields.map((f) => f.pattern).filter((p, i, all) => all.indexOf(p) === i).join(' ');
  for (const f of fields) {
    if ('SZXzVOQqwWeFGn'.includes(f.letter)) {
      throw new TableLayoutError(`${quoted}: !{timestamp:${f.pattern}} in the folder "${folder}" uses "${f.letter}", which partition projection cannot enumerate; use the year, month, day, hour, minute or second fields (yyyy, MM, dd, HH, mm, ss).`);
    }
  }
  if (fields.length === 1) {
    const field = fields[0];
    const spec = INTEGER_FIELDS[field.letter];
    if (!spec || (spec.maxCount !== undefined && field.count > spec.maxCount)) {
      throw new TableLayoutError(`${quoted}: !{timestamp:${field.pattern}} in the folder "${folder}" is not a number (${field.letter.repeat(field.count)}), so it cannot be an integer partition; use ${field.letter === 'M' || field.letter === 'L' ? 'MM' : 'a numeric field such as yyyy, MM, dd or HH'}, or put it in a folder with other fields for a date partition.`);
    }
    const name = checkKeyName(quoted, folder, hiveName ?? spec.name, hiveName !== undefined, `!{timestamp:${field.pattern}}`);
    let range: readonly [number, number];
    if (spec.range) {
      range = spec.range;
    } else if (field.count === 2) {
      range = [firstYear % 100, lastYear % 100];
      if (range[1] < range[0]) {
        throw new TableLayoutError(`${quoted}: the two-digit year of !{timestamp:${field.pattern}} wraps between ${firstYear} and ${lastYear}; use yyyy, or choose years within one century.`);
      }
    } else {
      range = [firstYear, lastYear];
    }
    // Firehose pads a field to its letter count (MM → 05); a four-digit year needs no padding.
    const padded = field.count >= 2 && !(spec.name === 'year' && field.count >= 3);
    const projection: PartitionProjection = padded ? { type: 'integer', range, digits: field.count } : { type: 'integer', range };
    return {
      layout: { name, type: 'int', projection, source: { kind: 'timestamp', pattern: field.pattern } },
      template: hivePrefix + value.map((a) => (a.kind === 'text' ? a.text : `\${${name}}`)).join(''),
    };
  }

  // Several fields: one date key; the fixed text between them is part of its format.
  const format = value.map((a) => (a.kind === 'field' ? a.letter.repeat(a.count) : quote((a as { text: string }).text))).join('');
  const name = checkKeyName(quoted, folder, hiveName ?? DATE_KEY_NAME, hiveName !== undefined, `!{timestamp:${pattern}}`);
  const letters = fields.map((f) => f.letter).join('');
  let unit: DateProjectionUnit = 'YEARS';
  for (const [chars, u] of DATE_UNITS) {
    if ([...chars].some((c) => letters.includes(c))) unit = u;
  }
  const start = compileTimeFormat(format).format(Date.UTC(firstYear, 0, 1));
  return {
    layout: { name, type: 'string', projection: { type: 'date', format, range: [start, 'NOW'], interval: 1, unit }, source: { kind: 'timestamp', pattern: format } },
    template: `${hivePrefix}\${${name}}`,
  };
}

function checkKeyName(quoted: string, folder: string, name: string, hive: boolean, expression: string): string {
  if (!GLUE_NAME_PATTERN.test(name)) {
    const hint = hive
      ? `rename it in the prefix (e.g. "${snakeCase(name) || 'key'}=${expression}")`
      : `name it in Hive style in the prefix (e.g. "${snakeCase(name) || 'key'}=${expression}")`;
    throw new TableLayoutError(`${quoted}: the folder "${folder}" gives the partition key "${name}", which is not a valid column name (lowercase letters, digits and "_", starting with a letter or "_"); ${hint}.`);
  }
  return name;
}

function checkEnumValues(name: string, values: readonly string[]): string[] {
  if (values.length === 0) {
    throw new TableLayoutError(`the partition values of "${name}" are empty; give the values the key takes, or leave it out to project it as injected.`, 'partitionKeyValues');
  }
  const seen = new Set<string>();
  for (const v of values) {
    if (v === '' || v.includes(',') || v.includes('/')) {
      throw new TableLayoutError(`the partition value "${v}" of "${name}" cannot be projected; enum values are non-empty and hold no "," or "/".`, 'partitionKeyValues');
    }
    if (seen.has(v)) throw new TableLayoutError(`the partition value "${v}" of "${name}" is given twice; list each value once.`, 'partitionKeyValues');
    seen.add(v);
  }
  return [...values];
}

/** Java pattern text: letters and quotes inside single quotes, everything else as it is. */
function quote(text: string): string {
  return /[A-Za-z']/.test(text) ? `'${text.replace(/'/g, '\'\'')}'` : text;
}

function describe(atom: Atom): string {
  return atom.kind === 'field' ? `!{timestamp:${atom.pattern}}` : atom.kind === 'partitionKey' ? `!{partitionKeyFromLambda:${atom.key}}` : 'the expression';
}

function render(atoms: readonly Atom[]): string {
  return atoms.map((a) => {
    switch (a.kind) {
      case 'text': return a.text;
      case 'field': return `!{timestamp:${a.letter.repeat(a.count)}}`;
      case 'partitionKey': return `!{partitionKeyFromLambda:${a.key}}`;
      default: return '!{firehose:random-string}';
    }
  }).join('');
}

/** Timestamp patterns taken apart: letters become fields, everything else (quoted text too) becomes text. */
function atomsOf(parts: readonly PrefixPart[]): Atom[] {
  const atoms: Atom[] = [];
  const text = (t: string) => {
    const last = atoms[atoms.length - 1];
    if (last && last.kind === 'text') atoms[atoms.length - 1] = { kind: 'text', text: last.text + t };
    else if (t) atoms.push({ kind: 'text', text: t });
  };
  for (const part of parts) {
    switch (part.kind) {
      case 'text': text(part.text); break;
      case 'timestamp': {
        const p = part.pattern;
        for (let i = 0; i < p.length;) {
          if (p[i] === '\'') {
            if (p[i + 1] === '\'') {
              text('\'');
              i += 2;
              continue;
            }
            const end = p.indexOf('\'', i + 1);
            text(p.slice(i + 1, end < 0 ? p.length : end));
            i = end < 0 ? p.length : end + 1;
            continue;
          }
          if (/[A-Za-z]/.test(p[i])) {
            let count = 1;
            while (p[i + count] === p[i]) count++;
            atoms.push({ kind: 'field', letter: p[i], count, pattern: p });
            i += count;
            continue;
          }
          text(p[i++]);
        }
        break;
      }
      case 'partitionKeyFromLambda':
      case 'partitionKeyFromQuery':
        atoms.push({ kind: 'partitionKey', key: part.key });
        break;
      case 'randomString':
        atoms.push({ kind: 'random' });
        break;
      default:
        // !{firehose:error-output-type} is rejected in data prefixes before a table is derived.
        throw new TableLayoutError('!{firehose:error-output-type} belongs in the error output prefix, not in the table\'s data prefix.');
    }
  }
  return atoms;
}

/** Splits at every "/" of the fixed text; the last piece is what follows the last "/". */
function splitSegments(atoms: Atom[]): Atom[][] {
  const segments: Atom[][] = [[]];
  for (const atom of atoms) {
    if (atom.kind !== 'text') {
      segments[segments.length - 1].push(atom);
      continue;
    }
    const pieces = atom.text.split('/');
    pieces.forEach((piece, i) => {
      if (i > 0) segments.push([]);
      if (piece) segments[segments.length - 1].push({ kind: 'text', text: piece });
    });
  }
  return segments;
}

/**
 * The Athena table parameters of a layout: `projection.*` and `storage.location.template`, with the template under
 * `locationUrl` (`s3://<bucket>/`, ending in `/`).
 */
export function projectionParameters(layout: TableLayout, locationUrl: string): Record<string, string> {
  const params: Record<string, string> = { 'projection.enabled': 'true' };
  for (const key of layout.partitionKeys) {
    const p = `projection.${key.name}`;
    const projection = key.projection;
    params[`${p}.type`] = projection.type;
    switch (projection.type) {
      case 'integer':
        params[`${p}.range`] = projection.range.join(',');
        if (projection.digits !== undefined) params[`${p}.digits`] = String(projection.digits);
        break;
      case 'date':
        params[`${p}.format`] = projection.format;
        params[`${p}.range`] = projection.range.join(',');
        params[`${p}.interval`] = String(projection.interval);
        params[`${p}.interval.unit`] = projection.unit;
        break;
      case 'enum':
        params[`${p}.values`] = projection.values.join(',');
        break;
      default:
        break;
    }
  }
  params['storage.location.template'] = locationUrl + layout.locationTemplate;
  return params;
}

/**
 * The partition values of an object key under a location template (`parsed/year=${year}/…/`), or `undefined` when
 * the key is not under it: how a local engine can read partitions that are not Hive-style.
 */
export function partitionValuesOf(locationTemplate: string, key: string): Record<string, string> | undefined {
  const names: string[] = [];
  const source = locationTemplate.replace(/\$\{([^}]+)\}|[^$]+|\$/g, (match, name: string | undefined) => {
    if (name !== undefined) {
      names.push(name);
      return '([^/]+)';
    }
    return match.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  const m = new RegExp(`^${source}`).exec(key);
  if (!m) return undefined;
  return Object.fromEntries(names.map((name, i) => [name, m[i + 1]]));
}

/**
 * A name valid for Glue and Athena made from any text (a stack name, a construct path): words in lowercase joined
 * by `_` (`IotTelemetryExample` → `iot_telemetry_example`); empty when the text has no letters or digits.
 */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
}
