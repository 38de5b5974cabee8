/**
 * Time functions: Cerbos's `now()` and `timestamp.timeSince()` (both read the engine's clock and
 * count the read), and the timestamp accessors with a time-zone argument. cel-js resolves a zone
 * through Intl, which rejects the fixed offsets cel-go accepts ("-05:00", "+01:30", even
 * "05:00"), so those accessors are replaced here by macros that read the zone as cel-go does: a
 * zone containing ":" is `hours:minutes` (hours may carry a sign, minutes take the hours' sign),
 * anything else an IANA name ("" and "Local" are UTC on a server in UTC). The zone-less
 * getDayOfYear() is replaced too (cel-js used the process's local zone).
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { registerMacro } from './macro-kit.js';
import type { MethodReplacer } from './replace-overload.js';
import { Duration, fail, typeName } from './values.js';

export interface CelClock {
  now: () => number;
  reads: number;
}

const GO_ATOI = /^[+-]?[0-9]+$/;

/** Minutes east of UTC for a `h:m` zone, undefined for a named zone, or a CEL error. */
export function fixedOffsetMinutes(zone: string): number | undefined {
  const colon = zone.indexOf(':');
  if (colon < 0) return undefined;
  const h = zone.slice(0, colon);
  const m = zone.slice(colon + 1);
  if (!GO_ATOI.test(h)) return fail(`strconv.Atoi: parsing ${JSON.stringify(h)}: invalid syntax`);
  if (!GO_ATOI.test(m)) return fail(`strconv.Atoi: parsing ${JSON.stringify(m)}: invalid syntax`);
  const hours = Number(h);
  const minutes = Number(m);
  return zone.startsWith('-') ? hours * 60 - minutes : hours * 60 + minutes;
}

/** Calendar fields of an instant in a zone. `month` is 0-based, `dayOfWeek` 0 = Sunday. */
export interface ZonedFields {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  dayOfWeek: number;
  dayOfYear: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return fail(`unknown time zone ${zone}`);
    }
    formatters.set(zone, f);
  }
  return f;
}

function fieldsFromUtc(ms: number): ZonedFields {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const startOfYear = Date.UTC(year, 0, 1);
  const startOfDay = Date.UTC(year, d.getUTCMonth(), d.getUTCDate());
  return {
    year,
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    dayOfWeek: d.getUTCDay(),
    dayOfYear: Math.round((startOfDay - startOfYear) / 86_400_000),
  };
}

/** The calendar fields of `t` in `zone` (UTC when undefined). */
export function zonedFields(t: Date, zone?: string): ZonedFields {
  const ms = t.getTime();
  if (zone === undefined || zone === '' || zone === 'UTC' || zone === 'Local') return fieldsFromUtc(ms);
  const offset = fixedOffsetMinutes(zone);
  if (offset !== undefined) return fieldsFromUtc(ms + offset * 60_000);
  // Go's time.LoadLocation is case-sensitive (IANA names carry capitals) where Intl is not
  if (zone !== zone.trim() || zone === zone.toLowerCase()) return fail(`unknown time zone ${zone}`);
  const parts: Record<string, number> = {};
  for (const p of zoneFormatter(zone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return fieldsFromUtc(local);
}

type Accessor = (f: ZonedFields, t: Date) => number;

const ACCESSORS: Record<string, Accessor> = {
  getFullYear: (f) => f.year,
  getMonth: (f) => f.month,
  getDate: (f) => f.day,
  getDayOfMonth: (f) => f.day - 1,
  getDayOfWeek: (f) => f.dayOfWeek,
  getDayOfYear: (f) => f.dayOfYear,
  getHours: (f) => f.hours,
  getMinutes: (f) => f.minutes,
  getSeconds: (f) => f.seconds,
  getMilliseconds: (_f, t) => t.getUTCMilliseconds(),
};

interface AccessorState {
  zone: ASTNode;
}

export function registerTime(env: Environment, clock: CelClock, methods: MethodReplacer): void {
  // cel-js computes the zone-less getDayOfYear() in the process's local time zone, one day short
  // after a DST change when the server does not run in UTC
  methods.replace('google.protobuf.Timestamp', 'getDayOfYear', 'int', (t: Date) => BigInt(zonedFields(t).dayOfYear));
  env
    .registerFunction('now(): google.protobuf.Timestamp', () => {
      // counted so the engine can tell time-dependent decisions apart (they are cached briefly)
      clock.reads++;
      return new Date(clock.now());
    })
    // Cerbos takes both spellings: `t.timeSince()` and `timeSince(t)`
    .registerFunction('google.protobuf.Timestamp.timeSince(): google.protobuf.Duration', timeSince)
    .registerFunction('timeSince(google.protobuf.Timestamp): google.protobuf.Duration', timeSince);
  function timeSince(t: unknown): Duration {
    clock.reads++;
    const ms = clock.now() - (t as Date).getTime();
    return new Duration(BigInt(Math.trunc(ms / 1000)), (ms % 1000) * 1_000_000);
  }
  for (const [name, read] of Object.entries(ACCESSORS)) {
    // the macro's receiver type only keeps its signature apart from cel-js's own overload; the
    // macro replaces `<anything>.name(zone)`, so it checks the receiver itself
    registerMacro<AccessorState>(env, `map.${name}(ast): int`, ({ args }) => ({ zone: args[0]! }), {
      typeCheck(checker, state, scope) {
        const receiver = checker.check(state.receiver!, scope);
        const zone = checker.check(state.zone, scope);
        if (!['google.protobuf.Timestamp', 'dyn'].includes(receiver.name) || !['string', 'dyn'].includes(zone.name)) {
          throw new Error(`found no matching overload for '${name}' applied to '${receiver.name}.(${zone.name})'`);
        }
        return checker.getType('int');
      },
      evaluate(ev, state, scope) {
        const t = ev.run(state.receiver!, scope);
        const zone = ev.run(state.zone, scope);
        if (!(t instanceof Date)) return fail(`no such overload: ${typeName(t)}.${name}(string)`);
        if (typeof zone !== 'string') return fail(`no such overload: ${name}(${typeName(zone)})`);
        return BigInt(read(zonedFields(t, zone), t));
      },
    });
  }
}
