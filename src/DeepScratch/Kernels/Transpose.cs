namespace DeepScratch.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Use the matrix as stored.</summary>
    No,

    /// <summary>Use the transpose of the stored matrix (so backward passes need no explicit copies).</summary>
    Yes,
}
