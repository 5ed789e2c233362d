/**
 * The output directory is checked before any claim trains: a run of an hour
 * must not be lost because its reports cannot be written at the end. `--out`
 * must be (or be creatable as) a writable directory on a normal filesystem.
 *
 * Pseudo-filesystems are refused by their statfs magic and by path, BEFORE any
 * mkdir: Node's recursive mkdir loops forever on some /proc paths (ENOENT and
 * EEXIST alternate), so "try it and see" would hang an unattended CI job.
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class OutputDirError extends Error {
  override name = 'OutputDirError';
}

/** statfs f_type magic numbers of Linux pseudo-filesystems (linux/magic.h). */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x64626720: 'debugfs',
  0x73636673: 'securityfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x74726163: 'tracefs',
  0x6165676c: 'pstorefs',
  0xcafe4a11: 'bpf',
};
const PSEUDO_PREFIXES = ['/proc', '/sys', '/dev'];

function deepestExisting(p: string): string {
  let dir = p;
  while (!existsSync(dir)) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** Throws OutputDirError (one line, naming the path and the problem) unless `out` is a writable directory afterwards. */
export function prepareOutputDirectory(out: string): string {
  const abs = path.resolve(out);
  const say = (problem: string) => new OutputDirError(`--out ${out}: ${problem}; choose a writable directory on a normal filesystem`);
  for (const prefix of PSEUDO_PREFIXES) {
    if (abs === prefix || abs.startsWith(prefix + path.sep)) throw say(`${prefix} is a pseudo-filesystem, not a place for reports`);
  }
  const anchor = deepestExisting(abs);
  try {
    const type = Number(statfsSync(anchor).type);
    if (PSEUDO_FS[type]) throw say(`${anchor} is on a ${PSEUDO_FS[type]} pseudo-filesystem`);
  } catch (err) {
    if (err instanceof OutputDirError) throw err;
    // statfs unavailable: the path checks above and the write probe below still apply.
  }
  if (!statSync(anchor).isDirectory()) throw say(anchor === abs ? 'exists and is not a directory' : `${anchor} is not a directory`);
  try {
    accessSync(anchor, constants.W_OK | constants.X_OK);
  } catch {
    throw say(`${anchor} is not writable by this user`);
  }
  try {
    mkdirSync(abs, { recursive: true });
  } catch (err) {
    throw say(`cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // A probe write catches read-only mounts and full disks that access() does not.
  const probe = path.join(abs, `.vae-claims-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'probe');
  } catch (err) {
    throw say(`cannot write into it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    rmSync(probe, { force: true });
  }
  return abs;
}
