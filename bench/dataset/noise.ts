/** Smooth 2-D value noise (fBm) for spatially coherent choices: which fields are protected, soil grade. */
import { hash01 } from './prng.ts';

function lattice(seed: number, ix: number, iy: number): number {
  return hash01(seed, ix, iy);
}

/** Value noise in [0, 1) at (x, y) with the given wavelength (same units as x, y). */
export function valueNoise(seed: number, x: number, y: number, wavelength: number): number {
  const fx = x / wavelength, fy = y / wavelength;
  const ix = Math.floor(fx), iy = Math.floor(fy);
  const tx = fx - ix, ty = fy - iy;
  const sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty);
  const a = lattice(seed, ix, iy), b = lattice(seed, ix + 1, iy);
  const c = lattice(seed, ix, iy + 1), d = lattice(seed, ix + 1, iy + 1);
  return (a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy;
}

/** Sum of octaves, normalised to [0, 1). */
export function fbm(seed: number, x: number, y: number, wavelength: number, octaves = 3): number {
  let sum = 0, norm = 0, amp = 1, wl = wavelength;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(seed + o * 1013, x, y, wl);
    norm += amp;
    amp *= 0.5;
    wl /= 2;
  }
  return sum / norm;
}
