/**
 * Solves A x = b for a symmetric positive definite n × n matrix A (row-major)
 * by Cholesky factorisation. Written here rather than taken from a package:
 * A is the Bradley–Terry information matrix of a persona's models (tens of
 * rows), and none of our dependencies does dense linear algebra.
 */
export function solvePositiveDefinite(matrix: Float64Array, rhs: Float64Array, n: number): Float64Array {
	const lower = new Float64Array(n * n);
	for (let i = 0; i < n; i++) {
		for (let j = 0; j <= i; j++) {
			let sum = matrix[i * n + j]!;
			for (let k = 0; k < j; k++) sum -= lower[i * n + k]! * lower[j * n + k]!;
			if (i === j) {
				if (!(sum > 0)) throw new RangeError(`the matrix is not positive definite (pivot ${i} is ${sum})`);
				lower[i * n + i] = Math.sqrt(sum);
			} else {
				lower[i * n + j] = sum / lower[j * n + j]!;
			}
		}
	}
	// L y = b, then Lᵀ x = y.
	const x = Float64Array.from(rhs);
	for (let i = 0; i < n; i++) {
		for (let k = 0; k < i; k++) x[i]! -= lower[i * n + k]! * x[k]!;
		x[i]! /= lower[i * n + i]!;
	}
	for (let i = n - 1; i >= 0; i--) {
		for (let k = i + 1; k < n; k++) x[i]! -= lower[k * n + i]! * x[k]!;
		x[i]! /= lower[i * n + i]!;
	}
	return x;
}
