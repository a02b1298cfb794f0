using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The activations written out in double precision from their textbook formulas: the oracle the fused epilogues and
/// the layer functions are held to, independent of <see cref="VectorMath"/> (which both sides of a bit-identity test share).
/// </summary>
internal static class ReferenceActivations
{
    /// <summary>Sigmoid 1/(1+e^-x) of chapter 3.</summary>
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>Softmax of one row with the maximum subtracted first (chapter 3.5.2).</summary>
    public static double[] Softmax(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }

        var y = new double[row.Length];
        double sum = 0;
        for (int j = 0; j < row.Length; j++)
        {
            y[j] = Math.Exp(row[j] - max);
            sum += y[j];
        }

        for (int j = 0; j < row.Length; j++)
        {
            y[j] /= sum;
        }

        return y;
    }

    /// <summary>
    /// Checks that <paramref name="actual"/> (m rows of n, leading dimension <paramref name="ldActual"/>) is the activation
    /// of the pre-activations <paramref name="z"/> (m x n, dense) within <paramref name="maxUlp"/> ulp of the double formula.
    /// </summary>
    public static void AssertActivationOf(
        ReadOnlySpan<float> z, ReadOnlySpan<float> actual, int m, int n, int ldActual, Activation activation, long maxUlp, string what)
    {
        for (int i = 0; i < m; i++)
        {
            var row = z.Slice(i * n, n);
            double[]? softmax = activation == Activation.Softmax ? Softmax(row) : null;
            double rowMax = double.NegativeInfinity;
            foreach (float v in row)
            {
                rowMax = Math.Max(rowMax, v);
            }

            for (int j = 0; j < n; j++)
            {
                double expected = activation switch
                {
                    Activation.Sigmoid => Sigmoid(row[j]),
                    Activation.Softmax => softmax![j],
                    _ => row[j],
                };
                float got = actual[i * ldActual + j];
                long ulp = KernelTestSupport.UlpDistance((float)expected, got);

                // Softmax first rounds z − max to float: its relative error, |z − max|·2^-24, reaches e^(z − max) as that
                // many ulp; then come the sum and the division.
                long allowed = activation == Activation.Softmax ? maxUlp + 4 + (long)Math.Ceiling(rowMax - row[j]) : maxUlp;
                if (ulp > allowed)
                {
                    Assert.Fail($"{what}: {activation} of z[{i}, {j}] = {row[j]:R}: expected {expected:R}, got {got:R} ({ulp} ulp, allowed {allowed})");
                }
            }
        }
    }
}
