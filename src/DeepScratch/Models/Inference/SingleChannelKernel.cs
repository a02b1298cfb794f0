using DeepScratch.Kernels;

namespace DeepScratch.Models.Inference;

/// <summary>
/// A one-channel first convolution (stride 1, square filter) as the engine step <see cref="SingleChannelConvolution"/>
/// computes it: direct, bias + ReLU fused, and the following 2x2 stride-2 max pool too when <see cref="SingleChannelConvolution.Pool"/>.
/// Reads floats: the session normalises pixel bytes (x/255f, <see cref="PixelScaling"/>) into its own buffer first.
/// </summary>
internal sealed unsafe class SingleChannelKernel(SingleChannelConvolution kernel, int height, int width) : IConvolutionKernel
{
    private readonly int _outputWidth = kernel.OutputSize(height) * kernel.OutputSize(width) * kernel.FilterCount;

    public string Name => nameof(SingleChannelConvolution) + (kernel.Pool ? "+MaxPool" : "");

    public bool ReadsBytes => false;

    public int WorkspaceLength(int count) => kernel.WorkspaceLength(count, height, width);

    public void Run(float* images, byte* pixels, int count, float* output, Span<float> workspace) =>
        kernel.Forward(
            new ReadOnlySpan<float>(images, count * height * width), count, height, width,
            new Span<float>(output, count * _outputWidth), workspace);
}
