using System.Numerics;

namespace DeepScratch.Kernels;

/// <summary>
/// Batch Normalization's training passes over a batch (N, D) row-major, vectorised across the D features and walking
/// the rows in order. Each value is computed with the same float operations in the same order as the book's numpy
/// expressions evaluated one array at a time (sums over the batch accumulate row 0, 1, ..., each product and quotient
/// rounded separately, no fused multiply-add), so the results are bit-identical to that plain evaluation.
/// </summary>
internal static unsafe class BatchNormKernels
{
    /// <summary>
    /// mean = Σx/N, xc = x − mean, variance = Σxc²/N, std = √(variance + ε), xn = xc/std, output = xn·γ + β.
    /// </summary>
    /// <param name="x">The input (N·D values).</param>
    /// <param name="n">Examples N (at least 1).</param>
    /// <param name="d">Features D.</param>
    /// <param name="epsilon">ε added to the variance, as a float (as the book's float32 arrays add it).</param>
    /// <param name="gamma">γ (D).</param>
    /// <param name="beta">β (D).</param>
    /// <param name="mean">The batch mean (D), written.</param>
    /// <param name="variance">The batch variance (D), written.</param>
    /// <param name="std">√(variance + ε) (D), written.</param>
    /// <param name="xc">x − mean (N·D), written.</param>
    /// <param name="xn">xc / std (N·D), written.</param>
    /// <param name="output">xn·γ + β (N·D), written.</param>
    public static void TrainingForward(ReadOnlySpan<float> x, int n, int d, float epsilon, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> mean, Span<float> variance, Span<float> std, Span<float> xc, Span<float> xn, Span<float> output)
    {
        Check(x.Length == n * d && xc.Length >= n * d && xn.Length >= n * d && output.Length == n * d
            && gamma.Length == d && beta.Length == d && mean.Length == d && variance.Length == d && std.Length == d);
        int w = Vector<float>.Count;
        float count = n;
        fixed (float* px = x, pm = mean, pv = variance, ps = std, pc = xc, pn = xn, po = output, pg = gamma, pb = beta)
        {
            new Span<float>(pm, d).Clear();
            for (int i = 0; i < n; i++)
            {
                float* row = px + (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    Vector.Store(Vector.Load(pm + j) + Vector.Load(row + j), pm + j);
                }

                for (; j < d; j++)
                {
                    pm[j] += row[j];
                }
            }

            for (int j = 0; j < d; j++)
            {
                pm[j] /= count;
                pv[j] = 0f;
            }

            for (int i = 0; i < n; i++)
            {
                long o = (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    var c = Vector.Load(px + o + j) - Vector.Load(pm + j);
                    Vector.Store(c, pc + o + j);
                    Vector.Store(Vector.Load(pv + j) + c * c, pv + j);
                }

                for (; j < d; j++)
                {
                    float c = px[o + j] - pm[j];
                    pc[o + j] = c;
                    pv[j] += c * c;
                }
            }

            for (int j = 0; j < d; j++)
            {
                pv[j] /= count;
                ps[j] = MathF.Sqrt(pv[j] + epsilon);
            }

            for (int i = 0; i < n; i++)
            {
                long o = (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    var normalized = Vector.Load(pc + o + j) / Vector.Load(ps + j);
                    Vector.Store(normalized, pn + o + j);
                    var scaled = normalized * Vector.Load(pg + j);
                    Vector.Store(scaled + Vector.Load(pb + j), po + o + j);
                }

                for (; j < d; j++)
                {
                    float normalized = pc[o + j] / ps[j];
                    pn[o + j] = normalized;
                    float scaled = normalized * pg[j];
                    po[o + j] = scaled + pb[j];
                }
            }
        }
    }

    /// <summary>
    /// The book's backward: dβ = Σdout, dγ = Σxn·dout, dxn = dout·γ, dxc = dxn/std, dstd = −Σ(dxn·xc)/(std·std),
    /// dvar = 0.5·dstd/std, dxc += xc·dvar·(2/N), dμ = Σdxc, dx = dxc − dμ/N.
    /// </summary>
    /// <param name="dout">The output's gradient (N·D).</param>
    /// <param name="n">Examples N.</param>
    /// <param name="d">Features D.</param>
    /// <param name="gamma">γ (D).</param>
    /// <param name="std">The forward's √(variance + ε) (D).</param>
    /// <param name="xc">The forward's x − mean (N·D).</param>
    /// <param name="xn">The forward's xc / std (N·D).</param>
    /// <param name="dbeta">dβ (D), written.</param>
    /// <param name="dgamma">dγ (D), written.</param>
    /// <param name="scratch">2·D floats of scratch (dvar and dμ).</param>
    /// <param name="dx">The input's gradient (N·D), written.</param>
    public static void Backward(ReadOnlySpan<float> dout, int n, int d, ReadOnlySpan<float> gamma, ReadOnlySpan<float> std,
        ReadOnlySpan<float> xc, ReadOnlySpan<float> xn, Span<float> dbeta, Span<float> dgamma, Span<float> scratch, Span<float> dx)
    {
        Check(dout.Length == n * d && xc.Length >= n * d && xn.Length >= n * d && dx.Length == n * d
            && gamma.Length == d && std.Length == d && dbeta.Length == d && dgamma.Length == d && scratch.Length >= 2 * d);
        int w = Vector<float>.Count;
        float twoOverN = 2f / n;
        float count = n;
        fixed (float* pd = dout, pg = gamma, ps = std, pc = xc, pn = xn, pb = dbeta, pgg = dgamma, pt = scratch, px = dx)
        {
            float* dvar = pt, dmu = pt + d;
            for (int j = 0; j < d; j++)
            {
                pb[j] = 0f;
                pgg[j] = 0f;
                dvar[j] = 0f; // Σ(dxn·xc)/(std·std) first, dvar once the sum is complete
                dmu[j] = 0f;
            }

            for (int i = 0; i < n; i++)
            {
                long o = (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    var g = Vector.Load(pd + o + j);
                    var s = Vector.Load(ps + j);
                    Vector.Store(Vector.Load(pb + j) + g, pb + j);
                    Vector.Store(Vector.Load(pgg + j) + Vector.Load(pn + o + j) * g, pgg + j);
                    var dxn = g * Vector.Load(pg + j);
                    Vector.Store(Vector.Load(dvar + j) + dxn * Vector.Load(pc + o + j) / (s * s), dvar + j);
                }

                for (; j < d; j++)
                {
                    float g = pd[o + j];
                    float s = ps[j];
                    pb[j] += g;
                    pgg[j] += pn[o + j] * g;
                    float dxn = g * pg[j];
                    dvar[j] += dxn * pc[o + j] / (s * s);
                }
            }

            for (int j = 0; j < d; j++)
            {
                float dstd = -dvar[j];
                dvar[j] = dstd * 0.5f / ps[j];
            }

            for (int i = 0; i < n; i++)
            {
                long o = (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    var dxn = Vector.Load(pd + o + j) * Vector.Load(pg + j);
                    var fromVar = Vector.Load(pc + o + j) * Vector.Load(dvar + j) * twoOverN;
                    var dxc = dxn / Vector.Load(ps + j) + fromVar;
                    Vector.Store(dxc, px + o + j);
                    Vector.Store(Vector.Load(dmu + j) + dxc, dmu + j);
                }

                for (; j < d; j++)
                {
                    float dxn = pd[o + j] * pg[j];
                    float fromVar = pc[o + j] * dvar[j] * twoOverN;
                    float dxc = dxn / ps[j] + fromVar;
                    px[o + j] = dxc;
                    dmu[j] += dxc;
                }
            }

            for (int j = 0; j < d; j++)
            {
                dmu[j] /= count;
            }

            for (int i = 0; i < n; i++)
            {
                long o = (long)i * d;
                int j = 0;
                for (; j <= d - w; j += w)
                {
                    Vector.Store(Vector.Load(px + o + j) - Vector.Load(dmu + j), px + o + j);
                }

                for (; j < d; j++)
                {
                    px[o + j] -= dmu[j];
                }
            }
        }
    }

    private static void Check(bool sizesFit)
    {
        if (!sizesFit)
        {
            throw new ArgumentException("BatchNorm kernel: the buffers do not fit the batch (N, D).");
        }
    }
}
