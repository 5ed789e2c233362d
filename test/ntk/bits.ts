/** How many entries of two tensors differ as numbers bit for bit (Object.is: NaN equals NaN, +0 and −0 differ); the shapes must agree. */
import { expect } from 'vitest';
import type * as tf from '@tensorflow/tfjs';

export function differingEntries(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) n++;
  return n;
}
