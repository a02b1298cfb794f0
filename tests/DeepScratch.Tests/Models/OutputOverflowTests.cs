using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Finite weights so large that the outputs overflow (W3's first column all 3e38: every z2 is a sigmoid in (0, 1), so
/// a3[0] is a sum of positive terms past float32's 3.4e38, +∞ in any summation order, and softmax's a3 - max gives
/// ∞ - ∞ = NaN for every image): every inference path refuses them instead of reporting argmax-of-NaN accuracy.
/// </summary>
public sealed class OutputOverflowTests
{
    private const string Line = "the network's outputs are not finite (NaN) for {0} 0: its weights overflow float32 arithmetic (largest |W3| is 3e+38).";

    private static ThreeLayerNet Overflowing()
    {
        var a = WeightFiles.Sample();
        var w3 = a["W3"];
        for (int r = 0; r < w3.Shape[0]; r++)
        {
            w3.Values[r * w3.Shape[1]] = 3e38f;
        }

        Tensor T(string n) => new(a[n].Values, a[n].Shape);
        return new ThreeLayerNet(T("W1"), T("b1"), T("W2"), T("b2"), T("W3"), T("b3"));
    }

    private static MnistSet FirstImages(int count)
    {
        var set = Mnist.Read(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        return new MnistSet(set.Images with { Count = count, Pixels = set.Images.Pixels[..(count * 784)] }, set.Labels[..count]);
    }

    [Fact]
    public void The_in_memory_overloads_refuse_NaN_outputs()
    {
        var network = Overflowing();
        var set = FirstImages(20);
        var x = set.ImageTensor();
        string example = string.Format(System.Globalization.CultureInfo.InvariantCulture, Line, "example");
        Assert.Equal(example, Assert.Throws<InvalidDataException>(() => Evaluation.Evaluate(network, x, set.Labels, 7)).Message);
        Assert.Equal(example, Assert.Throws<InvalidDataException>(() => Evaluation.EvaluatePerImage(network, x, set.Labels)).Message);
        string image = string.Format(System.Globalization.CultureInfo.InvariantCulture, Line, "image");
        Assert.Equal(image, Assert.Throws<InvalidDataException>(() => Evaluation.Evaluate(network, set.Images.Pixels, set.Labels, 7)).Message);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(100, false)]
    [InlineData(1, true)]
    public void The_streaming_overload_refuses_NaN_outputs(int batchSize, bool perImage)
    {
        using var data = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<InvalidDataException>(() => Evaluation.Evaluate(Overflowing(), data, batchSize, perImage));
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, Line, "image"), e.Message);
    }

    [Fact]
    public void A_later_row_is_named_by_its_index_in_the_set()
    {
        // Rows 0-2 finite, row 3 holds +∞ in its second class: the index counts from firstIndex; ordinary weights point at the inputs.
        float[] rows = [.. new float[9], 0.5f, float.PositiveInfinity, 0.5f];
        var network = new ThreeLayerNet(new Tensor([1f, -2.5f, 0, 0], 2, 2), Tensor.Zeros(2), Tensor.Zeros(2, 2), Tensor.Zeros(2), Tensor.Zeros(2, 3), Tensor.Zeros(3));
        var e = Assert.Throws<InvalidDataException>(() => Evaluation.ThrowIfNotFinite(network, rows, 3, 100, "example"));
        Assert.Equal("the network's outputs are not finite (infinite) for example 103: are its inputs finite? (largest |W1| is 2.5).", e.Message);
        Evaluation.ThrowIfNotFinite(network, rows.AsSpan(0, 9), 3, 0, "example");
    }
}
