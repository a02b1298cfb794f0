using DeepScratch.Functions;
using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// Bias and activation applied in the kernels' output tiles must give exactly what the unfused layer gives:
/// the GEMM, then <see cref="Tensor.AddRowVector"/>, then the activation function.
/// </summary>
public unsafe class FusedEpilogueTests(ITestOutputHelper output)
{
    /// <summary>Sigmoid is within 3 ulp of the double formula (VectorMathTests); softmax adds a sum and a division.</summary>
    private const long MaxActivationUlp = 4;

    public static TheoryData<int, int, int, Activation, string> Cases()
    {
        var data = new TheoryData<int, int, int, Activation, string>();
        int[][] shapes = [[1, 50, 784], [1, 10, 100], [7, 100, 50], [13, 10, 100], [9, 16, 30], [8, 1, 5], [100, 50, 784], [6, 33, 1025], [40, 1000, 400]];
        foreach (var s in shapes)
        {
            Activation[] activations = s[1] <= PackedMatrix.PanelWidth
                ? [Activation.None, Activation.Sigmoid, Activation.Softmax]
                : [Activation.None, Activation.Sigmoid];
            foreach (var activation in activations)
            {
                foreach (var set in new[] { "Avx2", "Avx512" })
                {
                    data.Add(s[0], s[1], s[2], activation, set);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_bias_and_activation_equal_Multiply_then_AddRowVector_then_the_activation_bit_for_bit(
        int m, int n, int k, Activation activation, string kernels)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine(Describe(set));
        var random = new Random(m * 1000 + n + k);
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        var bias = RandomArray(random, n, -3f, 3f);
        var previous = RandomArray(random, m * n);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (1.25f, -0.5f) })
        {
            // Unfused: the public GEMM, then the tensor operations the book's predict uses.
            var product = (float[])previous.Clone();
            Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, alpha, a, k, b, n, beta, product, n);
            if (Gemm.Kernels == KernelSet.Portable)
            {
                // Multiply runs the portable loops on this processor, whose summation order differs from the kernels':
                // take the product from the same kernels without an epilogue instead.
                output.WriteLine("Gemm.Multiply uses the portable loops here; the unfused product comes from Gemm.Run without an epilogue.");
                product = (float[])previous.Clone();
                Run(set, m, n, k, alpha, a, k, Transpose.No, b, n, Transpose.No, beta, product, n);
            }

            var affine = new Tensor(product, m, n).AddRowVector(Tensor.FromValues(bias));
            var unfused = activation switch
            {
                Activation.Sigmoid => Activations.Sigmoid(affine),
                Activation.Softmax => Activations.Softmax(affine),
                _ => affine,
            };

            // Fused, into a C with padding columns that must stay untouched.
            int ldc = n + 5;
            var fused = new float[m * ldc];
            Array.Fill(fused, Sentinel);
            for (int i = 0; i < m; i++)
            {
                previous.AsSpan(i * n, n).CopyTo(fused.AsSpan(i * ldc));
            }

            Run(set, m, n, k, alpha, a, k, Transpose.No, b, n, Transpose.No, beta, fused, ldc, PackedMatrix.PadBias(bias), activation);

            var fusedRows = new float[m * n];
            for (int i = 0; i < m; i++)
            {
                fused.AsSpan(i * ldc, n).CopyTo(fusedRows.AsSpan(i * n));
                for (int j = n; j < ldc; j++)
                {
                    Assert.Equal(Sentinel, fused[i * ldc + j]);
                }
            }

            AssertBitIdentical(unfused.Span, fusedRows, $"{set} {m}x{n}x{k} alpha {alpha} beta {beta} {activation}");

            // Both sides above share VectorMath: hold the fused result to the double-precision formulas applied to
            // the unfused pre-activations (GEMM + bias, no activation code), so a wrong sigmoid or softmax fails here.
            ReferenceActivations.AssertActivationOf(affine.Span, fusedRows, m, n, n, activation, MaxActivationUlp,
                $"{set} {m}x{n}x{k} alpha {alpha} beta {beta}");
        }
    }

    [Fact]
    public void The_bias_is_added_once_even_when_k_is_split_into_chunks()
    {
        // k = 1000 runs as three chunks; a bias added per chunk would shift every output by 2 x bias.
        int m = 8, n = 20, k = 1000;
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        var bias = Enumerable.Range(0, n).Select(j => (float)(j + 1)).ToArray();
        foreach (var set in VectorSets)
        {
            Run(set, m, n, k, 1f, a, k, Transpose.No, b, n, Transpose.No, 0f, c, n, PackedMatrix.PadBias(bias), Activation.None);
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(bias, c.AsSpan(i * n, n).ToArray());
            }
        }
    }

    [Fact]
    public void Sigmoid_epilogue_of_zero_is_one_half_and_saturates_without_NaN()
    {
        // One-column A and B = [1]: the outputs are the bias itself, through the activation.
        float[] bias = [0f, 1000f, -1000f, float.MaxValue, -float.MaxValue, 20f, -20f];
        int n = bias.Length;
        var c = new float[n];
        foreach (var set in VectorSets)
        {
            Run(set, 1, n, 1, 1f, [0f], 1, Transpose.No, new float[n], n, Transpose.No, 0f, c, n, PackedMatrix.PadBias(bias), Activation.Sigmoid);
            Assert.Equal(0.5f, c[0]);
            Assert.Equal(1f, c[1]);
            Assert.Equal(0f, c[2]);
            Assert.Equal(1f, c[3]);
            Assert.Equal(0f, c[4]);
            Assert.Equal((float)(1 / (1 + Math.Exp(-20))), c[5]);
            Assert.InRange(c[6], 2.06e-9f, 2.07e-9f);
        }
    }

    [Fact]
    public void A_fused_softmax_is_refused_when_a_row_spans_more_than_one_panel()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Run(KernelSet.Avx2, 2, 17, 3, 1f, new float[6], 3, Transpose.No, new float[51], 17, Transpose.No, 0f, new float[34], 17,
                PackedMatrix.PadBias(new float[17]), Activation.Softmax));
        Assert.Contains("n ≤ 16", e.Message);
    }
}
