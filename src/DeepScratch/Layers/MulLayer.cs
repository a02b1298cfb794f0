namespace DeepScratch.Layers;

/// <summary>
/// The multiplication node of a computational graph on scalars (the book's ch. 5.4.1 <c>MulLayer</c>, used by
/// <c>buy_apple.py</c>): <c>z = x·y</c> forward; backward, the upstream derivative times the <em>other</em> input
/// (∂z/∂x = y, ∂z/∂y = x), so it keeps its inputs from the forward pass. For tensors see <see cref="Affine"/>.
/// </summary>
public sealed class MulLayer
{
    private double _x;
    private double _y;

    /// <summary>Returns <c>x·y</c> and remembers both inputs for <see cref="Backward"/>.</summary>
    public double Forward(double x, double y)
    {
        _x = x;
        _y = y;
        return x * y;
    }

    /// <summary>
    /// The derivatives of the final output with respect to the last <see cref="Forward"/>'s inputs, given
    /// <paramref name="dout"/> = ∂L/∂z: <c>(dout·y, dout·x)</c> (the inputs swapped). Before any Forward both are 0.
    /// </summary>
    public (double Dx, double Dy) Backward(double dout) => (dout * _y, dout * _x);
}
