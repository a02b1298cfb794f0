using DeepScratch.Kernels;

namespace DeepScratch.Models.Inference;

/// <summary>
/// A 3x3 stride-1 convolution of multi-channel images as the engine step <see cref="WinogradConvolution"/> computes it
/// (F(2x2, 3x3), bias + ReLU fused, channels-last in and out).
/// </summary>
internal sealed unsafe class WinogradKernel(WinogradConvolution kernel, int height, int width) : IConvolutionKernel
{
    private readonly int _outputWidth = kernel.OutputSize(height) * kernel.OutputSize(width) * kernel.FilterCount;

    public string Name => nameof(WinogradConvolution);

    public bool ReadsBytes => false;

    public int WorkspaceLength(int count) => kernel.WorkspaceLength(count, height, width);

    public void Run(float* images, byte* pixels, int count, float* output, Span<float> workspace) =>
        kernel.Forward(
            new ReadOnlySpan<float>(images, count * height * width * kernel.Channels), count, height, width,
            new Span<float>(output, count * _outputWidth), workspace);
}
