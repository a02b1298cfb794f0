namespace DeepScratch.Layers;

/// <summary>
/// The addition node of a computational graph on scalars (the book's ch. 5.4.2 <c>AddLayer</c>, used by
/// <c>buy_apple_orange.py</c>): <c>z = x + y</c> forward; backward, the upstream derivative passes unchanged to both
/// inputs (∂z/∂x = ∂z/∂y = 1), so it needs to remember nothing.
/// </summary>
public sealed class AddLayer
{
    /// <summary>Returns <c>x + y</c>.</summary>
    public double Forward(double x, double y) => x + y;

    /// <summary>The derivatives with respect to both inputs, given <paramref name="dout"/> = ∂L/∂z: <c>(dout, dout)</c>.</summary>
    public (double Dx, double Dy) Backward(double dout) => (dout, dout);
}
