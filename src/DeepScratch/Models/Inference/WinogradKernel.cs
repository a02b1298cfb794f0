using DeepScratch.Kernels;

namespace DeepScratch.Models.Inference;

/// <summary>
/// A 3x3 stride-1 convolution of multi-channel images as the engine step <see cref="WinogradConvolution"/> computes it
/// (F(2x2, 3x3) or F(4x4, 3x3), bias + ReLU fused, and the following 2x2 stride-2 max pool when the kernel pools;
/// channels-last in and out).
/// </summary>
internal sealed unsafe class WinogradKernel(WinogradConvolution kernel, int height, int width) : IConvolutionKernel
{
    private readonly int _outputWidth = kernel.ResultSize(height) * kernel.ResultSize(width) * kernel.FilterCount;

    public string Name => $"{nameof(WinogradConvolution)}{kernel.TileSize}x{kernel.TileSize}{(kernel.Pool ? "+MaxPool" : "")}";

    public bool ReadsBytes => false;

    public int WorkspaceLength(int count) => kernel.WorkspaceLength(count, height, width);

    public void Run(float* images, byte* pixels, int count, float* output, Span<float> workspace) =>
        kernel.Forward(
            new ReadOnlySpan<float>(images, count * height * width * kernel.Channels), count, height, width,
            new Span<float>(output, count * _outputWidth), workspace);
}
