using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DeepScratch.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Use the matrix as stored.</summary>
    No,
    /// <summary>Use the transpose of the stored matrix (so backward passes need no explicit copies).</summary>
    Yes,
}

/// <summary>
/// The single entry point for every matrix product in DeepScratch:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, float32, row-major.
/// Keeping one entry point lets faster kernels replace this one without touching the layers above.
/// </summary>
public static class Gemm
{
    /// <summary>Below this many multiply-adds the work stays on one thread: spawning costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> where op(A) is m x k, op(B) is k x n and C is m x n.
    /// Results are bit-identical whatever the thread count: each output element is always summed in the same order.
    /// </summary>
    /// <param name="transA">Whether A is stored as k x m and used transposed.</param>
    /// <param name="transB">Whether B is stored as n x k and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A's storage, row-major.</param>
    /// <param name="lda">Distance between A's stored rows.</param>
    /// <param name="b">B's storage, row-major.</param>
    /// <param name="ldb">Distance between B's stored rows.</param>
    /// <param name="beta">Scale of C's previous contents; 0 ignores them (even NaN).</param>
    /// <param name="c">C's storage, row-major.</param>
    /// <param name="ldc">Distance between C's rows.</param>
    public static unsafe void Multiply(
        Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        CheckOperand("A", transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, a.Length, lda);
        CheckOperand("B", transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, b.Length, ldb);
        CheckOperand("C", m, n, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var job = new Job(transA, transB, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            long work = (long)m * n * Math.Max(k, 1);
            int threads = Math.Min(Environment.ProcessorCount, m);
            if (work < ParallelThreshold || threads < 2)
            {
                job.Rows(0, m);
                return;
            }

            int chunk = (m + threads - 1) / threads;
            Parallel.For(0, threads, t =>
            {
                int start = t * chunk;
                int end = Math.Min(m, start + chunk);
                if (start < end)
                {
                    job.Rows(start, end);
                }
            });
        }
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (rows < 0 || cols < 0)
        {
            throw new ArgumentOutOfRangeException(name, $"GEMM operand {name} has a negative dimension ({rows} x {cols}).");
        }

        if (rows > 0 && cols > 0 && (ld < cols || (long)(rows - 1) * ld + cols > length))
        {
            throw new ArgumentException(
                $"GEMM operand {name} ({rows} x {cols}, leading dimension {ld}) does not fit in its {length} elements.", name);
        }
    }

    /// <summary>The operands of one call, as raw pointers so worker threads can share them.</summary>
    private readonly unsafe struct Job(
        Transpose transA, Transpose transB, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public void Rows(int start, int end)
        {
            if (transB == Transpose.No)
            {
                RowsAxpy(start, end);
            }
            else
            {
                RowsDot(start, end);
            }
        }

        /// <summary>op(B) = B: each C row is a sum of B rows scaled by A's entries (vectorised axpy).</summary>
        private void RowsAxpy(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                var cRow = new Span<float>(c + (long)i * ldc, n);
                ScaleRow(cRow);
                for (int p = 0; p < k; p++)
                {
                    float aip = transA == Transpose.No ? a[(long)i * lda + p] : a[(long)p * lda + i];
                    var bRow = new ReadOnlySpan<float>(b + (long)p * ldb, n);
                    TensorPrimitives.FusedMultiplyAdd(bRow, alpha * aip, cRow, cRow);
                }
            }
        }

        /// <summary>op(B) = Bᵀ: each C entry is a dot product of an A row with a stored B row.</summary>
        private void RowsDot(int start, int end)
        {
            float[]? column = transA == Transpose.Yes ? new float[k] : null;
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<float> aRow;
                if (column is null)
                {
                    aRow = new ReadOnlySpan<float>(a + (long)i * lda, k);
                }
                else
                {
                    for (int p = 0; p < k; p++)
                    {
                        column[p] = a[(long)p * lda + i];
                    }

                    aRow = column;
                }

                var cRow = new Span<float>(c + (long)i * ldc, n);
                for (int j = 0; j < n; j++)
                {
                    float dot = TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                    cRow[j] = beta == 0f ? alpha * dot : alpha * dot + beta * cRow[j];
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ScaleRow(Span<float> row)
        {
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (beta != 1f)
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }
}
