import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { documentSchema } from './schemas.ts';
import type { SourceDocument, YamlPath } from './parse.ts';
import { POLICY_API_VERSION, POLICY_KINDS, type PolicyDocument, type PolicyKind, type PolicyProblem } from './types.ts';

/**
 * Content checks the masking engine owns, injected so policy validation runs the very checks the
 * runtime uses (`policy/index.ts` wires the masking module's implementations).
 */
export interface ContentChecks {
  /** Why a custom pattern is unsafe to run on the request path, or `undefined` when it is safe. */
  unsafeRegexReason(source: string, flags: string): string | undefined;
  /** Secret-looking spans in a string: type and offsets only, never the value. */
  findSecrets(text: string): readonly { type: string; start: number; end: number }[];
  /** Entity types the masking engine detects without custom patterns. */
  entityTypes: ReadonlySet<string>;
}

/** A schema-valid document together with its source, so later checks can point at lines. */
export interface LocatedDocument<D extends PolicyDocument = PolicyDocument> {
  doc: D;
  source: SourceDocument;
}

// ajv-formats is CommonJS with a default export; under NodeNext its namespace carries `default`.
const addFormats = addFormatsModule.default;

let validators: Map<PolicyKind, ValidateFunction<PolicyDocument>> | undefined;

function schemaValidators(): Map<PolicyKind, ValidateFunction<PolicyDocument>> {
  if (validators) return validators;
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    // `anyOf: [{required: [a]}, {required: [b]}]` names properties declared by the enclosing object.
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
  });
  addFormats(ajv);
  validators = new Map(POLICY_KINDS.map((kind) => [kind, ajv.compile<PolicyDocument>(documentSchema(kind))]));
  return validators;
}

function isPolicyKind(kind: unknown): kind is PolicyKind {
  return typeof kind === 'string' && (POLICY_KINDS as readonly string[]).includes(kind);
}

/** Decodes an ajv `instancePath` (a JSON Pointer, RFC 6901 §4) into YAML path segments. */
function pointerToPath(pointer: string): YamlPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function ajvProblem(source: SourceDocument, error: ErrorObject): PolicyProblem {
  const path = pointerToPath(error.instancePath);
  const { params } = error;
  const extra = 'additionalProperty' in params ? String(params.additionalProperty) : undefined;
  const where = source.locate(path, extra === undefined ? {} : { key: extra });
  const field = path.length > 0 ? `${path.join('.')}: ` : '';
  let message = `${field}${error.message ?? 'is invalid'}`;
  if (extra !== undefined) message += ` (${extra})`;
  if ('allowedValues' in params && Array.isArray(params.allowedValues)) {
    message += ` (${params.allowedValues.join(', ')})`;
  }
  return { file: source.file, ...where, message };
}

/**
 * Checks every document against the schema of its (apiVersion, kind). Unknown apiVersions and kinds
 * are reported at their own line. Branch noise of `oneOf`/`anyOf` is dropped when a more precise
 * error exists at the same place.
 */
export function validateSchemas(sources: readonly SourceDocument[]): {
  documents: LocatedDocument[];
  problems: PolicyProblem[];
} {
  const documents: LocatedDocument[] = [];
  const problems: PolicyProblem[] = [];
  for (const source of sources) {
    const value = source.value;
    const header = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    if (header.apiVersion !== POLICY_API_VERSION) {
      const got = header.apiVersion === undefined ? 'missing' : JSON.stringify(header.apiVersion);
      problems.push({
        file: source.file,
        ...source.locate(['apiVersion']),
        message: `unknown apiVersion ${got}: expected ${POLICY_API_VERSION}`,
      });
      continue;
    }
    if (!isPolicyKind(header.kind)) {
      problems.push({
        file: source.file,
        ...source.locate(['kind']),
        message: `unknown kind ${JSON.stringify(header.kind ?? null)}: expected one of ${POLICY_KINDS.join(', ')}`,
      });
      continue;
    }
    const validate = schemaValidators().get(header.kind)!;
    if (validate(value)) {
      documents.push({ doc: value, source });
    } else {
      problems.push(...dedupe(readableErrors(validate.errors ?? []).map((error) => ajvProblem(source, error))));
    }
  }
  return { documents, problems };
}

/**
 * Our `oneOf`/`anyOf` branches only differ in which property is required, so one message naming the
 * alternatives replaces ajv's per-branch `required` errors.
 */
function readableErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const branchRequired = /\/(oneOf|anyOf)\/\d+\/required$/;
  return errors
    .filter((error) => !(error.keyword === 'required' && branchRequired.test(error.schemaPath)))
    .map((error) => {
      if ((error.keyword !== 'oneOf' && error.keyword !== 'anyOf') || !Array.isArray(error.schema)) return error;
      const names = error.schema.flatMap((branch: { required?: string[] }) => branch.required ?? []);
      const quantity = error.keyword === 'oneOf' ? 'exactly one' : 'at least one';
      return { ...error, message: `needs ${quantity} of: ${names.join(', ')}` };
    });
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
