/**
 * Step-size schedules γ_k = C·k^{-α}, k = 1, 2, ... [SGL25] analyse α = 1/2;
 * α = 0 (constant step) is the falsifier that must plateau.
 */
export interface StepSchedule {
  C: number;
  alpha: number;
}

export function stepSize({ C, alpha }: StepSchedule, k: number): number {
  return C * Math.pow(k, -alpha);
}
