namespace DeepScratch.Kernels;

/// <summary>An activation a GEMM can apply to its output while the tile is still in registers.</summary>
public enum Activation
{
    /// <summary>No activation: the output is <c>x·W + b</c> as is.</summary>
    None,

    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid,

    /// <summary>Softmax over each row; fused only when a row fits one 16-column panel (n ≤ 16, as the book's 10 classes).</summary>
    Softmax,

    /// <summary>max(0, x).</summary>
    Relu,
}
