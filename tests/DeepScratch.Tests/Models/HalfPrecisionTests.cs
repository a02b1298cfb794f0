using DeepScratch.Data;
using DeepScratch.Models;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Chapter 8's half precision (half_float_network.py): weights rounded through float16, computed in float32. The
/// rounding's oracle is numpy 1.24's <c>astype(np.float16)</c>; the accuracies are bench/reference/half_eval.py's.
/// </summary>
public class HalfPrecisionTests(ITestOutputHelper output)
{
    /// <summary>float32 input and numpy's float16 of it (run by /usr/bin/python3, numpy 1.24.2), both as hex floats.</summary>
    public static TheoryData<float, float> NumpyRounding => new()
    {
        { 0.1f, 0.0999755859375f },                        // 0x1.99999ap-4 -> 0x1.998p-4
        { 1f / 3, 0.333251953125f },                       // 0x1.555556p-2 -> 0x1.554p-2
        { -2.5e-5f, -2.4974346160888672e-05f },            // subnormal-adjacent normal
        { 6e-8f, 5.960464477539063e-08f },                 // smallest subnormal 2^-24
        { 3e-8f, 5.960464477539063e-08f },                 // just above half of 2^-24: rounds up
        { 2.9802322387695312e-08f, 0f },                   // exactly 2^-25: a tie, to even (0)
        { 65504f, 65504f },                                // the largest float16
        { 65519.98828125f, 65504f },                       // below the rounding boundary 65520
        { 1.00048828125f, 1f },                            // 1 + 2^-11: a tie, to even (1)
        { 1.00146484375f, 1.001953125f },                  // 1 + 3·2^-11: a tie, to even (1 + 2^-9)
        { -0.0001234f, -0.0001233816146850586f },
    };

    [Theory]
    [MemberData(nameof(NumpyRounding))]
    public void Round_gives_numpy_astype_float16(float value, float numpy)
    {
        var rounded = HalfPrecision.Round("W1", Tensor.FromStored([value, -value], [2]));
        Assert.Equal(numpy, rounded.Span[0]);
        Assert.Equal(-numpy, rounded.Span[1]);
    }

    [Fact]
    public void A_value_float16_cannot_hold_is_refused_with_one_line_naming_the_tensor()
    {
        var e = Assert.Throws<InvalidDataException>(() => HalfPrecision.Round("W2", Tensor.FromStored([1f, 65520f, -1e6f, 3f], [2, 2])));
        Assert.Equal("W2 cannot be stored as float16: 2 of its 4 values exceed float16's largest value 65504 (the largest |value| is 1E+06) and would become ∞.", e.Message);
    }

    [Fact]
    public void The_copy_keeps_the_shape_and_leaves_the_network_unchanged()
    {
        var net = new TwoLayerNet(12, 8, 4, weightInitStd: 0.3, seed: 3);
        var before = net.Parameters.Select(p => p.Value.ToArray()).ToArray();
        var half = (INetwork)HalfPrecision.ToHalfWeights(net);

        for (int i = 0; i < net.Parameters.Count; i++)
        {
            Assert.Equal(before[i], net.Parameters[i].Value.ToArray());
            Assert.Equal(net.Parameters[i].Value.Shape.ToArray(), half.Parameters[i].Value.Shape.ToArray());
            // Plain reference: each value through System.Half's IEEE conversion, one at a time.
            Assert.Equal(before[i].Select(v => (float)(Half)v).ToArray(), half.Parameters[i].Value.ToArray());
        }

        Assert.Contains(before[0], v => v != (float)(Half)v);
    }

    [Fact]
    public void The_batchnorm_running_statistics_stay_float32()
    {
        var net = new MultiLayerNetExtend(6, [5], 3, useBatchnorm: true, seed: 1);
        var mean = net.Buffers["running_mean1"];
        mean.Span[0] = 0.1f; // not a float16 value
        var half = (INetwork)HalfPrecision.ToHalfWeights(net);
        Assert.Equal(0.1f, half.Buffers["running_mean1"].Span[0]);
    }

    /// <summary>numpy's figures (bench/reference/half_eval.py): sample_weight.pkl 9352 correct in float32 and with float16 weights.</summary>
    [Fact]
    public void The_chapter_3_network_with_float16_weights_stays_within_0_001_of_float32()
    {
        var model = ModelFile.Load(TestData.Weights("sample_weight.pkl"));
        int full = Correct(model);
        int half = Correct(HalfPrecision.ToHalfWeights(model));
        Assert.Equal(9352, full);
        Assert.Equal(9352, half);
        Assert.InRange(Math.Abs(full - half) / 10000.0, 0, 0.001);
    }

    /// <summary>
    /// numpy's figures (bench/reference/half_eval.py): params.pkl 9600 with float32 and with float16 weights;
    /// deep_convnet_params.pkl 9797 with float32 and 9798 with float16 weights (one image changes sides).
    /// </summary>
    [Theory]
    [InlineData("params.pkl", 9600, 9600)]
    [InlineData("deep_convnet_params.pkl", 9797, 9798)]
    public void The_book_convolutional_networks_with_float16_weights_stay_within_0_001_of_float32(string pickle, int numpyFull, int numpyHalf)
    {
        LayeredNetwork net = pickle == "params.pkl" ? new SimpleConvNet() : new DeepConvNet();
        ConvNetChecks.WithBookWeights(net, pickle);
        int full = Correct(net);
        var halfNet = HalfPrecision.ToHalfWeights(net);
        int half = Correct(halfNet);

        Assert.Equal(numpyFull, full);
        Assert.InRange(Math.Abs(full - half) / 10000.0, 0, 0.001);
        // Within one image of numpy's float16 figure: a near tie may fall either way with another summation order.
        Assert.InRange(half, numpyHalf - 1, numpyHalf + 1);
        output.WriteLine($"{pickle}: float32 {full} / 10000, float16 weights {half} / 10000");
        Assert.All(((INetwork)halfNet).Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal((float)(Half)v, v)));
    }

    internal static int Correct(IClassifier model)
    {
        using var data = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        return Evaluation.Evaluate(model, data, 100).Correct;
    }
}
