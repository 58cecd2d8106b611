// JSON Schema validation of input files with ajv (draft 2020-12), every error as one line that starts
// with its JSON path — `$.prosumers[3].battery.capacityKwh: must be > 0 (got -5)` — in the words the
// rest of the project's messages use. All errors are collected, so a user sees every mistake at once.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();

/** Registers schemas (each with its $id) so that others can $ref them; idempotent. */
export function addSchemas(...schemas: { $id: string }[]): void {
  for (const s of schemas) if (!ajv.getSchema(s.$id)) ajv.addSchema(s);
}

/** The validator of a registered schema, or of a schema object (compiled once per $id). */
export function validatorFor(schema: { $id: string }): ValidateFunction {
  let v = compiled.get(schema.$id);
  if (!v) {
    addSchemas(schema);
    v = ajv.getSchema(schema.$id)!;
    compiled.set(schema.$id, v);
  }
  return v;
}

/** `/prosumers/0/load` → `$.prosumers[0].load` (prefixed with another root when given). */
export function jsonPath(pointer: string, root = '$'): string {
  if (pointer === '') return root;
  return (
    root +
    pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) =>
        /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`,
      )
      .join('')
  );
}

const got = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

const TYPE_WORDS: Record<string, string> = {
  number: 'a finite number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

function describe(e: ErrorObject): { path: string; message: string } | null {
  const path = e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return null; // the failing branch says what is wrong
    case 'required':
      return { path: `${path}/${p.missingProperty}`, message: 'is required' };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return {
        path: `${path}/${p.additionalProperty}`,
        message: `unknown field (allowed: ${allowed.join(', ')})`,
      };
    }
    case 'type': {
      const types = String(p.type).split(',');
      return {
        path,
        message: `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')} (got ${got(e.data)})`,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${p.comparison} ${p.limit} (got ${got(e.data)})` };
    case 'minLength':
      return {
        path,
        message: p.limit === 1 ? 'must be a non-empty string' : `must have at least ${p.limit} characters`,
      };
    case 'maxLength':
      return { path, message: `must have at most ${p.limit} characters` };
    case 'minItems':
      return {
        path,
        message: p.limit === 1 ? 'must be a non-empty array' : `must have at least ${p.limit} items`,
      };
    case 'maxItems':
      return { path, message: `must have at most ${p.limit} items (got ${(e.data as unknown[]).length})` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${got(e.data)})`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)} (got ${got(e.data)})` };
    case 'pattern': {
      const what = (e.parentSchema as { description?: string }).description;
      return {
        path,
        message: `${what ? `must be ${what}` : `must match ${p.pattern}`} (got ${got(e.data)})`,
      };
    }
    case 'oneOf':
    case 'anyOf':
      return { path, message: (e.parentSchema as { description?: string }).description ?? `${e.message}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/**
 * Validates `data`; returns the problems (empty when valid), each `<JSON path>: <message>`. `show` maps a
 * path (from `$`) to how it is shown, for data embedded in another file.
 */
export function schemaProblems(
  validate: ValidateFunction,
  data: unknown,
  show: (path: string) => string = (p) => p,
): string[] {
  if (validate(data)) return [];
  const out: string[] = [];
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    if (!d) continue;
    const line = `${show(jsonPath(d.path))}: ${d.message}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}
