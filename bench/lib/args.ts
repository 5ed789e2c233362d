/** The benchmarks' shared command line: [--backend wasm|cpu|tensorflow] [--quick] [--help]. */
export interface BenchArgs {
  backend: string | undefined;
  quick: boolean;
}

export function parseBenchArgs(argv: readonly string[], script: string): BenchArgs {
  const args: BenchArgs = { backend: undefined, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--backend') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error('--backend needs a value (wasm, cpu or tensorflow)');
      args.backend = v;
    } else if (a.startsWith('--backend=')) args.backend = a.slice('--backend='.length);
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npx tsx ${script} [--backend wasm|cpu|tensorflow] [--quick]`);
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"; allowed: --backend NAME, --quick`);
  }
  return args;
}
