/**
 * Draws made in a kernel's own WebAssembly memory, where they are used (no fill in JavaScript and
 * no copy): a stream's row indices by the module's drawRows (wasm/random-rows.as.ts, re-exported
 * by the kernels that draw rows) and its normals by the module's normalPairs (counter-normals.as.ts
 * compiled in), each giving exactly what the stream's own fill gives and leaving the stream in the
 * same state. A stream whose fill is not the base class's own (a replay of given values, a test's
 * stream) fills through its own method instead.
 */
import { CounterNormalStream, type NormalPairsPort } from './counter-normals.ts';
import { RandomStream } from './rng.ts';

/** random-rows.as.ts's drawRows as a module exports it. */
export type DrawRows = (state: number, n: number, B: number, rowsAt: number) => void;

/** fillInt draws through int() and int() through uniform(): a stream that overrides any of them keeps its own rows. */
const OWN_FILL_INT = RandomStream.prototype.fillInt;
const OWN_INT = RandomStream.prototype.int;
const OWN_UNIFORM = RandomStream.prototype.uniform;
const OWN_FILL_NORMAL = CounterNormalStream.prototype.fillNormal;

/**
 * stream.fillInt(i32, n, rowsAt / 4, B): by drawRows on the stream's generator state (handed in at
 * byte `stateAt`, 16 bytes the caller sets aside, and back) where fillInt, int and uniform are RandomStream's own.
 */
export function fillRows(stream: RandomStream, i32: Int32Array, stateAt: number, n: number, B: number, rowsAt: number, drawRows: DrawRows): void {
  if (!ownRows(stream)) {
    stream.fillInt(i32, n, rowsAt / 4, B);
    return;
  }
  stream.generatorState(i32, stateAt / 4);
  drawRows(stateAt, n, B, rowsAt);
  stream.setGeneratorState(i32, stateAt / 4);
}

/** Whether a module may draw both of a replica's step streams itself (as fillRows and fillNormals would with a port). */
export function portableStreams(streams: { data: RandomStream; noise: RandomStream }): boolean {
  return ownRows(streams.data) && ownNormals(streams.noise);
}

function ownRows(stream: RandomStream): boolean {
  return stream.fillInt === OWN_FILL_INT && stream.int === OWN_INT && stream.uniform === OWN_UNIFORM;
}

function ownNormals(stream: RandomStream): stream is CounterNormalStream {
  return stream instanceof CounterNormalStream && stream.fillNormal === OWN_FILL_NORMAL;
}

/**
 * stream.fillNormal(f64, at, count) (f64 views the module's memory from byte 0): whole pairs by the
 * port where fillNormal is CounterNormalStream's own and there is a port (null: the stream's own fill,
 * as where VAE_CLAIMS_COUNTER_NORMALS_KERNEL=js forces the JavaScript normals).
 */
export function fillNormals(stream: RandomStream, f64: Float64Array, at: number, count: number, port: NormalPairsPort | null): void {
  if (port !== null && ownNormals(stream)) stream.fillNormalPorted(f64, at, count, port);
  else stream.fillNormal(f64, at, count);
}
