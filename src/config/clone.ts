/**
 * A deep copy of a configuration: plain objects and arrays are copied, every
 * other value (numbers, strings, a user's optimiser function, typed arrays) is
 * shared. structuredClone would refuse a configuration that carries a
 * function, and configurations may (a custom optimiser's update rule).
 */
export function cloneConfig<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneConfig(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneConfig(v)])) as T;
  }
  return value;
}
