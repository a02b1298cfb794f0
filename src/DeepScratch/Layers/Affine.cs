using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// The fully connected layer of chapter 5: out = x·W + b. An input (N, ...) such as images (N, C, H, W) is viewed as
/// (N, D) for the product (no copy), and dx gets the input's shape back. Forward keeps that view of x for
/// Backward's dW = xᵀ·dout, so x must not change in between.
/// </summary>
public sealed class Affine : ILayer
{
    private int[]? _inputShape;
    private Tensor? _x;

    /// <summary>Wraps weights (D, M) and bias (M,), named by the owning network (W1, b1, ...).</summary>
    /// <exception cref="ArgumentException">W is not a matrix or b does not have one value per column of W.</exception>
    public Affine(Parameter w, Parameter b)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(b);
        if (w.Value.Rank != 2)
        {
            throw new ArgumentException($"Affine weights {w.Name} must be a matrix (inputs, outputs); got shape {w.Value.ShapeString}.", nameof(w));
        }

        if (b.Value.Rank != 1 || b.Value.Length != w.Value.Dim(1))
        {
            throw new ArgumentException($"Affine bias {b.Name} must have shape ({w.Value.Dim(1)},) to match {w.Name} {w.Value.ShapeString}; got {b.Value.ShapeString}.", nameof(b));
        }

        (W, B) = (w, b);
        Parameters = [w, b];
    }

    /// <summary>The weights (inputs, outputs); their gradient dW = xᵀ·dout.</summary>
    public Parameter W { get; }

    /// <summary>The bias (outputs,); its gradient db = Σ dout over the batch.</summary>
    public Parameter B { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">x has no batch axis or its examples do not have W's number of rows.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        int inputs = W.Value.Dim(0);
        if (x.Rank < 2 || x.Length != x.Dim(0) * inputs)
        {
            throw new ArgumentException(
                $"Affine {W.Name} takes a batch (N, ...) of {inputs} values per example; got shape {x.ShapeString}.", nameof(x));
        }

        _inputShape = x.Shape.ToArray();
        _x = x.Reshape(x.Dim(0), inputs);
        var output = Tensor.MatMul(_x, Transpose.No, W.Value, Transpose.No);
        output.AddRowVectorInPlace(B.Value);
        return output;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        BackwardParameters(dout);
        return Tensor.MatMul(dout, Transpose.No, W.Value, Transpose.Yes).Reshape(_inputShape!);
    }

    /// <summary>
    /// The parameter half of <see cref="Backward"/>: dW = xᵀ·dout and db = Σ dout, without dx — for the first layer,
    /// whose input (the images) needs no gradient, which saves a third of its work.
    /// </summary>
    public void BackwardParameters(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var x = _x ?? throw new InvalidOperationException($"Affine {W.Name}: Backward needs a Forward first.");
        Tensor.MatMul(x, Transpose.Yes, dout, Transpose.No, W.Grad);
        dout.SumAxis0(B.Grad);
    }
}
