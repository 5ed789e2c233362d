/**
 * Configurations that share a batch key (the same data, seeds, steps, ...)
 * train as one replica batch; they differ only in per-replica settings.
 * Groups come in the order of their first member, members in input order.
 */
export interface Member<T> {
  /** Position in the caller's list of configurations. */
  index: number;
  config: T;
}

export function groupConfigs<T>(configs: readonly T[], key: (config: T) => string): Member<T>[][] {
  const groups = new Map<string, Member<T>[]>();
  configs.forEach((config, index) => {
    const k = key(config);
    const group = groups.get(k);
    if (group) group.push({ index, config });
    else groups.set(k, [{ index, config }]);
  });
  return [...groups.values()];
}
