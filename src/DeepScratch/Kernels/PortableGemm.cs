using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DeepScratch.Kernels;

/// <summary>
/// The GEMM for processors without AVX2 + FMA: row-wise axpy and dot products on TensorPrimitives (which use
/// whatever vector width the machine has). Correct everywhere, and the baseline the fast kernels are measured against.
/// </summary>
internal static unsafe class PortableGemm
{
    /// <summary>C = alpha · op(A) · op(B) + beta · C over rows [start, end); operands already validated.</summary>
    public static void Rows(Transpose transA, Transpose transB, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int start, int end) =>
        new Job(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c, ldc).Rows(start, end);

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
