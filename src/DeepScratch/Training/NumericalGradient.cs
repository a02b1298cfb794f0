namespace DeepScratch.Training;

/// <summary>
/// The book's <c>numerical_gradient</c> (chapter 4): central differences (f(x+h) - f(x-h)) / 2h, element by element.
/// Slow (two evaluations of f per element) but simple, which is why chapter 5 uses it to check backpropagation.
/// </summary>
public static class NumericalGradient
{
    /// <summary>
    /// dF/dx for every element of <paramref name="x"/>: each element is nudged to x+h and x-h in place, f is evaluated
    /// (it must read x), and the element is restored exactly. The difference is divided by the step actually stored
    /// in float32 rather than by 2h, so rounding of x ± h does not bias the estimate.
    /// </summary>
    /// <param name="f">The function of x, e.g. a network's loss on a fixed batch.</param>
    /// <param name="x">The point; its elements are changed during the call and restored before it returns.</param>
    /// <param name="h">The step; the book's 1e-4. For a float32 network's loss 1e-3 to 1e-2 balances rounding (∝ 1/h) against truncation (∝ h²).</param>
    /// <returns>A tensor of x's shape holding the partial derivatives.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="h"/> is not a positive finite number, or too small to change an element of x.</exception>
    public static Tensor Compute(Func<double> f, Tensor x, double h = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        if (!(h > 0) || double.IsInfinity(h))
        {
            throw new ArgumentOutOfRangeException(nameof(h), $"The step h must be a positive number; got {h}.");
        }

        var grad = Tensor.Zeros(x.Shape.ToArray());
        var values = x.Span;
        var g = grad.Span;
        for (int i = 0; i < values.Length; i++)
        {
            float original = values[i];
            float plus = (float)(original + h);
            float minus = (float)(original - h);
            if (plus == minus)
            {
                throw new ArgumentOutOfRangeException(nameof(h), $"h = {h} is too small to change element {i} ({original}) in float32.");
            }

            try
            {
                values[i] = plus;
                double fPlus = f();
                values[i] = minus;
                double fMinus = f();
                g[i] = (float)((fPlus - fMinus) / ((double)plus - minus));
            }
            finally
            {
                values[i] = original;
            }
        }

        return grad;
    }
}
