/**
 * Reading a record's field by name, own properties only. A record decoded from JSON inherits from Object.prototype,
 * so a plain `record[name]` for a name such as 'constructor', 'toString' or '__proto__' gives a function (or the
 * prototype) when the record has no such field, instead of "missing": windows would group by `function Object()`,
 * sums would count a function as a bad value. Only names Object.prototype has can be inherited that way, so an
 * ordinary name keeps the plain property read (the hot paths read fields once per record).
 */
const hasOwn = Object.prototype.hasOwnProperty;

/** True for the names a plain object inherits ('constructor', 'toString', '__proto__', ...). */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

/** Whether the record has a field `name` of its own (`name in record` would also see 'constructor'...). */
export function hasOwnField(record: object, name: string): boolean {
  return hasOwn.call(record, name);
}

/**
 * The record's own field `name`, or undefined. A dotted name ('reading.value') that is not a field of its own reaches
 * into nested records (Avro and Protobuf records nest), own fields at every step.
 */
export function ownField(record: object, name: string): unknown {
  if (hasOwn.call(record, name)) return (record as Record<string, unknown>)[name];
  return name.includes('.') ? nestedField(record, name.split('.')) : undefined;
}

function nestedField(record: object, path: string[]): unknown {
  let at: unknown = record;
  for (const part of path) {
    if (at === null || typeof at !== 'object' || !hasOwn.call(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/**
 * A reader of one field, own properties only: a plain property read unless the name is an inherited one or a dotted
 * path into nested records (a field whose own name has a dot still wins).
 */
export function fieldReader(name: string): (record: Record<string, unknown>) => unknown {
  if (name.includes('.')) {
    const path = name.split('.');
    return (record) => (hasOwn.call(record, name) ? record[name] : nestedField(record, path));
  }
  return isInheritedName(name) ? (record) => (hasOwn.call(record, name) ? record[name] : undefined) : (record) => record[name];
}
