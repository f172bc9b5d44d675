// OpenAPI schemas of the Kubernetes types, derived from the client-node model metadata
// (models.ts) and the patch metadata table (patch-meta.ts), named as upstream names its
// definitions. Two flavours: `v3` (components.schemas, `$ref` wrapped in allOf with the
// field's description, IntOrString/Quantity as oneOf) and `v2` (swagger definitions).
import { allModelNames, definitionName, hasModel, kindsOfModel, META, modelInfo, type GroupVersionKind, type ModelField } from './models.ts';
import { patchMetaFor, type PatchMeta } from './patch-meta.ts';

export type Flavor = 'v2' | 'v3';
export type Schema = Record<string, unknown>;

export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const TIME = `${META}.Time`;
export const MICRO_TIME = `${META}.MicroTime`;
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
export const FIELDS_V1 = `${META}.FieldsV1`;
export const PATCH = `${META}.Patch`;
const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

/** Fields that are resource.Quantity (or maps of them) upstream; the generator types them as strings. */
const quantityFields = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits',
  'V1VolumeResourceRequirements.requests',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1ResourceFieldSelector.divisor',
  'V1NodeStatus.capacity',
  'V1NodeStatus.allocatable',
  'V1PersistentVolumeSpec.capacity',
  'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1ResourceQuotaSpec.hard',
  'V1ResourceQuotaStatus.hard',
  'V1ResourceQuotaStatus.used',
  'V1LimitRangeItem.default',
  'V1LimitRangeItem.defaultRequest',
  'V1LimitRangeItem.max',
  'V1LimitRangeItem.min',
  'V1LimitRangeItem.maxLimitRequestRatio',
  'V1PodSpec.overhead',
  'V1Overhead.podFixed',
  'V1ContainerStatus.allocatedResources',
  'V1CSIStorageCapacity.capacity',
  'V1CSIStorageCapacity.maximumVolumeSize',
  'V2MetricTarget.averageValue',
  'V2MetricTarget.value',
  'V2MetricValueStatus.averageValue',
  'V2MetricValueStatus.value',
  'V1Counter.value',
  'V1DeviceCapacity.value',
  'V1CapacityRequirements.requests',
  'V1CapacityRequestPolicy.default',
  'V1CapacityRequestPolicyRange.min',
  'V1CapacityRequestPolicyRange.max',
]);

/** What `any` fields are upstream. Unlisted: RawExtension. */
const anyFields: Record<string, string> = {
  'V1ManagedFieldsEntry.fieldsV1': FIELDS_V1,
  'V1CustomResourceSubresources.status': `${APIEXT}.CustomResourceSubresourceStatus`,
  'V1JSONSchemaProps.additionalItems': `${APIEXT}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps.additionalProperties': `${APIEXT}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps.default': `${APIEXT}.JSON`,
  'V1JSONSchemaProps.example': `${APIEXT}.JSON`,
  'V1JSONSchemaProps.enum': `${APIEXT}.JSON`,
  'V1JSONSchemaProps.items': `${APIEXT}.JSONSchemaPropsOrArray`,
  'V1JSONSchemaProps.dependencies': `${APIEXT}.JSONSchemaPropsOrStringArray`,
};

/**
 * Descriptions upstream gives `$ref` fields, which the generator drops. Only the common
 * ones are known; others go without (kubectl explain then shows the type's description).
 */
function refFieldDescription(field: ModelField): string | undefined {
  if (field.name === 'metadata' && field.type === 'V1ObjectMeta') {
    return "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
  }
  if (field.name === 'metadata' && field.type === 'V1ListMeta') {
    return 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
  }
  return undefined;
}

/** The definitions that aren't generated models. */
function builtinDefinition(name: string, flavor: Flavor): Schema | undefined {
  switch (name) {
    case TIME:
      return {
        description:
          'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
        format: 'date-time',
        type: 'string',
      };
    case MICRO_TIME:
      return { description: 'MicroTime is version of Time with microsecond level precision.', format: 'date-time', type: 'string' };
    case QUANTITY: {
      const description =
        "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the \"\" case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>            ::= \"+\" | \"-\" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | \"\" | k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\nNo matter which of the three exponent forms is used, no quantity may represent a number greater than 2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise will be capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we require larger or smaller quantities.\n\nWhen a Quantity is parsed from a string, it will remember the type of suffix it had, and will use the same type again when it is serialized.\n\nBefore serializing, Quantity will be put in \"canonical form\". This means that Exponent/suffix will be adjusted up or down (with a corresponding increase or decrease in Mantissa) such that:\n\n- No precision is lost - No fractional digits will be emitted - The exponent (or suffix) is as large as possible.\n\nThe sign will be omitted unless the number is negative.\n\nExamples:\n\n- 1.5 will be serialized as \"1500m\" - 1.5Gi will be serialized as \"1536Mi\"\n\nNote that the quantity will NEVER be internally represented by a floating point number. That is the whole point of this exercise.\n\nNon-canonical values will still parse as long as they are well formed, but will be re-emitted in their canonical form. (So always use canonical form, or don't diff.)\n\nThis format is intended to make it difficult to use these numbers without writing some sort of special handling code in the hopes that that will cause implementors to also use a fixed point implementation.";
      return flavor === 'v3' ? { description, oneOf: [{ type: 'string' }, { type: 'number' }] } : { description, type: 'string' };
    }
    case INT_OR_STRING: {
      const description =
        'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';
      return flavor === 'v3'
        ? { description, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] }
        : { description, format: 'int-or-string', type: 'string' };
    }
    case RAW_EXTENSION:
      return {
        description:
          'RawExtension is used to hold extensions in external versions.\n\nTo use this, make a field which has RawExtension as its type in your external version struct, and Object in your internal struct. You also need to register your various plugin types.',
        type: 'object',
      };
    case FIELDS_V1:
      return {
        description:
          "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
        type: 'object',
      };
    case PATCH:
      return { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
    case `${APIEXT}.JSON`:
      return {
        description:
          'JSON represents any valid JSON value. These types are supported: bool, int64, float64, string, []interface{}, map[string]interface{} and nil.',
      };
    case `${APIEXT}.JSONSchemaPropsOrBool`:
      return { description: 'JSONSchemaPropsOrBool represents JSONSchemaProps or a boolean value. Defaults to true for the boolean property.' };
    case `${APIEXT}.JSONSchemaPropsOrArray`:
      return { description: 'JSONSchemaPropsOrArray represents a value that can either be a JSONSchemaProps or an array of JSONSchemaProps. Mainly here for serialization purposes.' };
    case `${APIEXT}.JSONSchemaPropsOrStringArray`:
      return { description: 'JSONSchemaPropsOrStringArray represents a JSONSchemaProps or a string array.' };
    case `${APIEXT}.CustomResourceSubresourceStatus`:
      return {
        description:
          'CustomResourceSubresourceStatus defines how to serve the status subresource for CustomResources. Status is represented by the `.status` JSON path inside of a CustomResource. When set, * exposes a /status subresource for the custom resource * PUT requests to the /status subresource take a custom resource object, and ignore changes to anything except the status stanza * PATCH requests to the /status subresource take a custom resource object, and ignore changes to anything except the status stanza',
        type: 'object',
      };
  }
  return undefined;
}

// ---------------------------------------------------------------- model name <-> definition

let defToModel: Map<string, string> | undefined;

/** The model whose definition this is (inverse of definitionName). */
export function modelOfDefinition(def: string): string | undefined {
  if (!defToModel) {
    defToModel = new Map();
    for (const m of allModelNames()) defToModel.set(definitionName(m), m);
  }
  return defToModel.get(def);
}

export { definitionName };

// ---------------------------------------------------------------- type expressions

const refPrefix = (flavor: Flavor) => (flavor === 'v3' ? '#/components/schemas/' : '#/definitions/');

export function refTo(def: string, flavor: Flavor): Schema {
  return { $ref: refPrefix(flavor) + def };
}

/** Splits `{ [key: string]: T; }` and `Array<T>`. */
function parseType(type: string): { kind: 'array' | 'map' | 'plain'; inner: string } {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { kind: 'array', inner: arr[1]! };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', inner: map[1]! };
  return { kind: 'plain', inner: type };
}

/**
 * The schema of a field's type (without description). `refs` collects the definitions it
 * refers to. `special` is the definition a `string`/`any` leaf really is (Quantity, FieldsV1...).
 */
function typeSchema(type: string, format: string, flavor: Flavor, refs: Set<string>, special?: string): { schema: Schema; isRef: boolean } {
  const t = parseType(type);
  if (t.kind === 'array') {
    const inner = typeSchema(t.inner, format, flavor, refs, special);
    return { schema: { type: 'array', items: itemSchema(inner, flavor) }, isRef: false };
  }
  if (t.kind === 'map') {
    const inner = typeSchema(t.inner, format, flavor, refs, special);
    return { schema: { type: 'object', additionalProperties: itemSchema(inner, flavor) }, isRef: false };
  }
  const ref = (def: string) => {
    refs.add(def);
    return { schema: refTo(def, flavor), isRef: true };
  };
  if (special) return ref(special);
  switch (type) {
    case 'string':
      return { schema: format ? { type: 'string', format } : { type: 'string' }, isRef: false };
    case 'boolean':
      return { schema: { type: 'boolean' }, isRef: false };
    case 'number':
      if (format === 'int32' || format === 'int64') return { schema: { type: 'integer', format }, isRef: false };
      return { schema: format ? { type: 'number', format } : { type: 'number' }, isRef: false };
    case 'Date':
      return ref(format === 'date-time-micro' ? MICRO_TIME : TIME);
    case 'IntOrString':
      return ref(INT_OR_STRING);
    case 'any':
      return ref(RAW_EXTENSION);
  }
  if (hasModel(type)) return ref(definitionName(type));
  return { schema: {}, isRef: false };
}

/** Items and additionalProperties: v3 wraps refs in allOf (upstream's shape). */
function itemSchema(s: { schema: Schema; isRef: boolean }, flavor: Flavor): Schema {
  if (s.isRef && flavor === 'v3') return { allOf: [s.schema] };
  return s.schema;
}

export interface SchemaOptions {
  flavor: Flavor;
  /** Extra GVKs for x-kubernetes-group-version-kind (e.g. from the registry's descriptors). */
  extraKinds?: GroupVersionKind[];
}

/**
 * The schema of one model (by client-node model name, e.g. `V1Deployment`), with its
 * `$ref`s to other definitions collected into `refs` (definition names).
 */
export function schemaFor(model: string, opts: SchemaOptions = { flavor: 'v3' }, refs: Set<string> = new Set()): Schema {
  const info = modelInfo(model);
  if (!info) throw new Error(`unknown model ${model}`);
  const { flavor } = opts;
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const f of [...info.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const key = `${model}.${f.name}`;
    let special: string | undefined;
    if (quantityFields.has(key)) special = QUANTITY;
    else if (/\bany\b/.test(f.type)) special = anyFields[key] ?? RAW_EXTENSION;
    const { schema, isRef } = typeSchema(f.type, f.format, flavor, refs, special);
    // v2 clients (kubectl explain <= 1.28) print "<no description>" for a field without
    // one, so there a $ref field falls back to its type's description.
    const description =
      f.description ?? (isRef ? (refFieldDescription(f) ?? (flavor === 'v2' && hasModel(f.type) ? modelInfo(f.type)?.description : undefined)) : undefined);
    let prop: Schema;
    if (isRef) {
      if (flavor === 'v3') prop = description ? { allOf: [schema], description } : { allOf: [schema] };
      else prop = description ? { ...schema, description } : schema;
    } else {
      prop = description ? { description, ...schema } : { ...schema };
    }
    const meta = patchMetaFor(model, f.name);
    if (meta) addPatchExtensions(prop, meta);
    properties[f.name] = prop;
    if (f.required) required.push(f.name);
  }
  const out: Schema = {};
  if (info.description) out.description = info.description;
  out.properties = properties;
  if (required.length) out.required = required;
  out.type = 'object';
  const gvks = [...kindsOfModel(model)];
  for (const g of opts.extraKinds ?? []) {
    if (!gvks.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) gvks.push(g);
  }
  if (gvks.length) out['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return out;
}

function addPatchExtensions(prop: Schema, meta: PatchMeta): void {
  if (meta.listType) prop['x-kubernetes-list-type'] = meta.listType;
  if (meta.listMapKeys && meta.listType === 'map') prop['x-kubernetes-list-map-keys'] = meta.listMapKeys;
  if (meta.mergeKey) prop['x-kubernetes-patch-merge-key'] = meta.mergeKey;
  if (meta.strategy) prop['x-kubernetes-patch-strategy'] = meta.strategy;
}

/**
 * The schema of a definition by its upstream name (`io.k8s.api.apps.v1.Deployment`,
 * `io.k8s.apimachinery.pkg.util.intstr.IntOrString`, ...).
 */
export function definitionSchema(def: string, opts: SchemaOptions, refs: Set<string> = new Set()): Schema | undefined {
  const builtin = builtinDefinition(def, opts.flavor);
  if (builtin) return builtin;
  const model = modelOfDefinition(def);
  return model ? schemaFor(model, opts, refs) : undefined;
}

/**
 * All definitions reachable from `roots` (definition names), as `name -> schema`, sorted by
 * name. `kindsFor(def)` adds x-kubernetes-group-version-kind entries.
 */
export function definitionsClosure(
  roots: Iterable<string>,
  flavor: Flavor,
  kindsFor: (def: string) => GroupVersionKind[] = () => [],
): Record<string, Schema> {
  const out = new Map<string, Schema>();
  const queue = [...roots];
  const seen = new Set(queue);
  while (queue.length) {
    const def = queue.shift()!;
    const refs = new Set<string>();
    const s = definitionSchema(def, { flavor, extraKinds: kindsFor(def) }, refs);
    if (!s) continue;
    out.set(def, s);
    for (const r of refs) {
      if (!seen.has(r)) {
        seen.add(r);
        queue.push(r);
      }
    }
  }
  const sorted: Record<string, Schema> = {};
  for (const k of [...out.keys()].sort()) sorted[k] = out.get(k)!;
  return sorted;
}

// ---------------------------------------------------------------- strategic merge patch lookup

/** What the strategic merge patch engine needs to know about a type. */
export interface PatchSchema {
  /** For error messages (upstream prints the Go type name). */
  readonly name: string;
  /**
   * A field of this struct (or any key of this map): its own schema (for maps/structs, and
   * for list elements) and its patch metadata. Undefined: unknown field.
   */
  lookup(key: string): { schema: PatchSchema; meta: PatchMeta } | undefined;
}

/** A type with no metadata: maps merge key by key, lists are replaced. */
export const genericPatchSchema: PatchSchema = {
  name: 'unknown',
  lookup: () => ({ schema: genericPatchSchema, meta: {} }),
};

const patchSchemas = new Map<string, PatchSchema>();

function patchSchemaForType(type: string): PatchSchema {
  const t = parseType(type);
  if (t.kind === 'array') return patchSchemaForType(t.inner);
  if (t.kind === 'map') {
    const elem = patchSchemaForType(t.inner);
    return { name: `map[string]${elem.name}`, lookup: () => ({ schema: elem, meta: {} }) };
  }
  if (hasModel(type)) return patchSchemaFor(type);
  return genericPatchSchema;
}

/** The strategic-merge-patch schema of a model (`V1Deployment`). */
export function patchSchemaFor(model: string): PatchSchema {
  const cached = patchSchemas.get(model);
  if (cached) return cached;
  const info = modelInfo(model);
  if (!info) return genericPatchSchema;
  const byName = new Map(info.fields.map((f) => [f.name, f]));
  const short = definitionName(model).split('.').pop()!;
  const s: PatchSchema = {
    name: short,
    lookup(key) {
      const f = byName.get(key);
      if (!f) return undefined;
      return { schema: patchSchemaForType(f.type), meta: patchMetaFor(model, f.name) ?? {} };
    },
  };
  patchSchemas.set(model, s);
  return s;
}
