using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Which kernel the engine compiles each convolution to: one-channel stride-1 square filters to the direct
/// SingleChannelConvolution (with a following ReLU + 2x2/2 max pool fused), multi-channel 3x3 stride-1 filters to
/// Winograd, everything else (and any non-finite filter) to the implicit-im2col GEMM, which then gives exactly the
/// layer forward's NaN/∞ pattern. (The engine's results with the fast kernels are checked against the layers on all
/// 10,000 images in <see cref="InferenceEngineTests"/>.)
/// </summary>
public class InferenceKernelChoiceTests
{
    private static string Fast(string name) => WinogradConvolution.IsSupported ? name : "ImplicitGemmConvolution";

    [Fact]
    public void SimpleConvNet_runs_its_convolution_and_pool_as_one_direct_single_channel_step()
    {
        var engine = BookCnn.Simple().CompileInference()!;
        string conv = WinogradConvolution.IsSupported ? "SingleChannelConvolution+MaxPool" : "ImplicitGemmConvolution";
        string[] expected = WinogradConvolution.IsSupported ? [conv, "Linear", "Linear"] : [conv, "MaxPool", "Linear", "Linear"];
        Assert.Equal(expected, engine.StepKernels);
    }

    /// <summary>Conv1 direct; conv2..conv6 by F(4x4, 3x3), each 2x2 pool fused into the convolution before it.</summary>
    [Fact]
    public void DeepConvNet_runs_conv1_direct_and_the_five_3x3_multichannel_convolutions_by_winograd_with_the_pools_fused()
    {
        var engine = BookCnn.Deep().CompileInference()!;
        string[] expected = WinogradConvolution.IsSupported
            ? ["SingleChannelConvolution", "WinogradConvolution4x4+MaxPool", "WinogradConvolution4x4", "WinogradConvolution4x4+MaxPool",
                "WinogradConvolution4x4", "WinogradConvolution4x4+MaxPool", "Linear", "Linear"]
            : ["ImplicitGemmConvolution", "ImplicitGemmConvolution", "MaxPool", "ImplicitGemmConvolution", "ImplicitGemmConvolution", "MaxPool",
                "ImplicitGemmConvolution", "ImplicitGemmConvolution", "MaxPool", "Linear", "Linear"];
        Assert.Equal(expected, engine.StepKernels);
    }

    /// <summary>Stride 2, a 3x2 filter, 5x5 filters on 3 channels, a sigmoid, a padded pool: none of them has a fast kernel.</summary>
    [Fact]
    public void Convolutions_outside_the_fast_kernels_checks_stay_on_the_gemm()
    {
        var random = new Random(3);
        Tensor R(params int[] shape) => GradientCheck.Random(shape, random, 0.5);
        var engine = InferenceEngine.Compile([1, 9, 8],
        [
            new InferenceStep.Convolution(R(4, 1, 3, 3), R(4), 2, 1), new InferenceStep.Activate(Activation.Relu), // stride 2
            new InferenceStep.Convolution(R(3, 4, 3, 2), R(3), 1, 1), // 3x2 filter
            new InferenceStep.Convolution(R(5, 3, 3, 3), R(5), 1, 1), new InferenceStep.Activate(Activation.Sigmoid), // sigmoid
            new InferenceStep.Convolution(R(2, 5, 1, 1), R(2), 1, 0), new InferenceStep.Activate(Activation.Relu), new InferenceStep.MaxPool(2, 2, 2, 1),
            new InferenceStep.Linear(R(18, 3), R(3)),
        ]);
        // Shapes: (1, 9, 8) -> (4, 5, 4) -> (3, 5, 5) -> (5, 5, 5) -> (2, 5, 5) -> pool pad 1 (2, 3, 3).
        Assert.Equal(
            ["ImplicitGemmConvolution", "ImplicitGemmConvolution", "ImplicitGemmConvolution", "ImplicitGemmConvolution", "MaxPool", "Linear"],
            engine.StepKernels);
    }

    /// <summary>A single-channel conv with ReLU but a 3x3 pool after it: the direct kernel, the pool a step of its own.</summary>
    [Fact]
    public void Only_a_2x2_stride_2_pool_is_fused_into_the_single_channel_convolution()
    {
        var random = new Random(4);
        Tensor R(params int[] shape) => GradientCheck.Random(shape, random, 0.5);
        var engine = InferenceEngine.Compile([1, 10, 10],
        [
            new InferenceStep.Convolution(R(6, 1, 3, 3), R(6), 1, 0), new InferenceStep.Activate(Activation.Relu), new InferenceStep.MaxPool(3, 3, 2, 0),
            new InferenceStep.Linear(R(54, 4), R(4)),
        ]);
        Assert.Equal([Fast("SingleChannelConvolution"), "MaxPool", "Linear"], engine.StepKernels);
    }

    /// <summary>
    /// A NaN or ∞ in a filter: the fast kernels may not assume finite filters they did not check, so the engine keeps
    /// the GEMM, and its convolution output (NHWC) has the NaN/∞ pattern of the layers' Convolution + ReLU (NCHW):
    /// ∞·0 = NaN at the zero pixels and the padding, ±∞ elsewhere, ReLU(−∞) = 0.
    /// </summary>
    [Theory]
    [InlineData(1, 5, 0)] // SimpleConvNet-like: would be SingleChannelConvolution
    [InlineData(3, 3, 1)] // would be Winograd
    public unsafe void A_non_finite_filter_falls_back_to_the_gemm_with_the_layer_forwards_nan_and_infinity_pattern(int channels, int f, int pad)
    {
        const int h = 8, w = 7, fn = 4, n = 2;
        var random = new Random(7);
        var filters = GradientCheck.Random([fn, channels, f, f], random, 0.5);
        filters.Span[1] = float.PositiveInfinity;
        filters.Span[channels * f * f + 2] = float.NegativeInfinity; // second filter
        filters.Span[2 * channels * f * f] = float.NaN; // third filter
        var bias = GradientCheck.Random([fn], random, 0.5);
        var x = GradientCheck.Random([n, channels, h, w], random, 1);
        for (int i = 0; i < x.Length; i += 5)
        {
            x.Span[i] = 0f; // ∞·0
        }

        var layer = new Convolution(new Parameter("W", filters), new Parameter("b", bias), 1, pad);
        var expected = new Relu().Forward(layer.Forward(x, train: false), train: false);
        int oh = h + 2 * pad - f + 1, ow = w + 2 * pad - f + 1;

        var engine = InferenceEngine.Compile([channels, h, w],
            [layer.Inference, new InferenceStep.Activate(Activation.Relu), new InferenceStep.Linear(Tensor.Zeros(fn * oh * ow, 3), Tensor.Zeros(3))]);
        Assert.Equal("ImplicitGemmConvolution", engine.StepKernels[0]);

        var nhwc = new float[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int p = 0; p < h * w; p++)
                {
                    nhwc[(b * h * w + p) * channels + c] = x.Span[(b * channels + c) * h * w + p];
                }
            }
        }

        var op = engine.Ops[0];
        var actual = new float[n * op.OutputWidth];
        var workspace = new float[op.WorkspaceLength(n)];
        fixed (float* input = nhwc)
        fixed (float* output = actual)
        {
            op.Run(input, null, n, output, workspace);
        }

        int nan = 0, inf = 0;
        for (int b = 0; b < n; b++)
        {
            for (int c = 0; c < fn; c++)
            {
                for (int p = 0; p < oh * ow; p++)
                {
                    float e = expected.Span[(b * fn + c) * oh * ow + p], a = actual[(b * oh * ow + p) * op.OutputWidth / (oh * ow) + c];
                    string at = $"image {b} filter {c} pixel {p}";
                    if (float.IsNaN(e) || !float.IsFinite(e))
                    {
                        Assert.True(e.Equals(a), $"{at}: engine {a}, layers {e}");
                        nan += float.IsNaN(e) ? 1 : 0;
                        inf += float.IsInfinity(e) ? 1 : 0;
                    }
                    else
                    {
                        Assert.True(Math.Abs(e - a) <= 1e-5, $"{at}: engine {a}, layers {e}");
                    }
                }
            }
        }

        // The pattern is not trivial: both kinds occur, and finite outputs remain (the fourth filter).
        Assert.True(nan > 0 && inf > 0, $"{nan} NaN, {inf} ∞");
    }
}
