/** Ordinary least-squares line y ≈ intercept + slope·x. */
export interface Line {
  slope: number;
  intercept: number;
}

export function leastSquaresLine(x: ArrayLike<number>, y: ArrayLike<number>): Line {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`x has ${n} points, y has ${y.length}`);
  if (n < 2) throw new RangeError(`a line needs at least 2 points, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  if (sxx === 0) throw new RangeError('all x values are equal: the slope is undefined');
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
