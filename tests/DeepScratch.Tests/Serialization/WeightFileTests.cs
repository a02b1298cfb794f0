using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// The book's real weight files. Expected numbers come from numpy 1.24.2 on the same files:
/// <code>
/// /usr/bin/python3 -c "import pickle, numpy as np; d = pickle.load(open('sample_weight.pkl', 'rb'));
///     print(np.float32(d['W1'][1, 0]), d['W1'].astype(np.float64).sum())"
/// </code>
/// (element values printed as numpy's float32 repr; sums of the float32 values taken in float64; for params.pkl and
/// deep_convnet_params.pkl the float64 arrays were first converted with <c>astype(np.float32)</c>).
/// </summary>
public class WeightFileTests
{
    private const double SumTolerance = 1e-9;

    [Fact]
    public void Sample_weight_lists_its_six_arrays_in_file_order_with_shapes_dtype_and_order()
    {
        var arrays = NumpyPickle.Load(TestData.Weights("sample_weight.pkl"));

        Assert.Equal(["b2", "W1", "b1", "W2", "W3", "b3"], arrays.Select(a => a.Name));
        AssertArray(arrays, "W1", [784, 50], "<f4", fortran: true);
        AssertArray(arrays, "b1", [50], "<f4", fortran: false);
        AssertArray(arrays, "W2", [50, 100], "<f4", fortran: true);
        AssertArray(arrays, "b2", [100], "<f4", fortran: false);
        AssertArray(arrays, "W3", [100, 10], "<f4", fortran: true);
        AssertArray(arrays, "b3", [10], "<f4", fortran: false);
    }

    [Fact]
    public void Sample_weight_fortran_ordered_matrices_read_as_numpy_indexes_them()
    {
        var w = NumpyPickle.LoadTensors(TestData.Weights("sample_weight.pkl"));

        // W1[0, 1] and W1[1, 0] are swapped if the Fortran order is ignored (storage element 1 is W1[1, 0]).
        Assert.Equal(-0.007412489f, w["W1"][0, 0]);
        Assert.Equal(-0.007904391f, w["W1"][0, 1]);
        Assert.Equal(-0.01029745f, w["W1"][1, 0]);
        Assert.Equal(0.15160656f, w["W1"][400, 25]);
        Assert.Equal(-0.040211476f, w["W1"][783, 49]);
        Assert.Equal(-0.10694039f, w["W2"][0, 0]);
        Assert.Equal(0.015912468f, w["W2"][0, 1]);
        Assert.Equal(0.29911557f, w["W2"][1, 0]);
        Assert.Equal(0.009080098f, w["W2"][49, 99]);
        Assert.Equal(-0.42173576f, w["W3"][0, 0]);
        Assert.Equal(0.02759847f, w["W3"][0, 9]);
        Assert.Equal(-0.52432054f, w["W3"][1, 0]);
        Assert.Equal(0.03177173f, w["W3"][99, 9]);
        // A whole row and a whole column: numpy's W1[0].sum() and W1[:, 0].sum().
        Assert.Equal(0.15973561839200556, Sum(w["W1"].Row(0).Span), SumTolerance);
        Assert.Equal(9.288499807815242, Enumerable.Range(0, 784).Sum(i => (double)w["W1"][i, 0]), SumTolerance);
    }

    [Fact]
    public void Sample_weight_biases_and_sums_match_numpy()
    {
        var w = NumpyPickle.LoadTensors(TestData.Weights("sample_weight.pkl"));

        Assert.Equal(
            [-0.060239848f, 0.009326279f, -0.013599455f, 0.021671278f, 0.010737205f, 0.066196986f, -0.08397342f, -0.009122511f, 0.005769617f, 0.053233497f],
            w["b3"].ToArray());
        Assert.Equal(-0.067503154f, w["b1"][0]);
        Assert.Equal(0.10716812f, w["b1"][49]);
        Assert.Equal(-0.014711079f, w["b2"][0]);
        Assert.Equal(-0.043586075f, w["b2"][99]);
        Assert.Equal(24.710748511527072, Sum(w["W1"].Span), SumTolerance);
        Assert.Equal(-4.358106311849042, Sum(w["W2"].Span), SumTolerance);
        Assert.Equal(-2.648974552284926, Sum(w["W3"].Span), SumTolerance);
        Assert.Equal(0.41067875683074817, Sum(w["b1"].Span), SumTolerance);
        Assert.Equal(0.2330201300792396, Sum(w["b2"].Span), SumTolerance);
        Assert.Equal(-3.7532299757003784e-07, Sum(w["b3"].Span), SumTolerance);
    }

    [Fact]
    public void Params_pkl_protocol_4_float64_arrays_load_with_names_shapes_and_values()
    {
        var arrays = NumpyPickle.Load(TestData.Weights("params.pkl"));

        Assert.Equal(["W1", "b1", "W2", "b2", "W3", "b3"], arrays.Select(a => a.Name));
        AssertArray(arrays, "W1", [30, 1, 5, 5], "<f8", fortran: false);
        AssertArray(arrays, "b1", [30], "<f8", fortran: false);
        AssertArray(arrays, "W2", [4320, 100], "<f8", fortran: false);
        AssertArray(arrays, "b2", [100], "<f8", fortran: false);
        AssertArray(arrays, "W3", [100, 10], "<f8", fortran: false);
        AssertArray(arrays, "b3", [10], "<f8", fortran: false);

        var w = arrays.ToDictionary(a => a.Name, a => a.Tensor);
        Assert.Equal(0.029043125f, w["W1"][0, 0, 0, 0]);
        Assert.Equal(0.04032944f, w["W1"][0, 0, 1, 0]);
        Assert.Equal(0.07069917f, w["W1"][29, 0, 4, 4]);
        Assert.Equal(-0.032167453f, w["W2"][0, 1]);
        Assert.Equal(-0.009098705f, w["W2"][1, 0]);
        Assert.Equal(0.042077623f, w["W2"][4319, 99]);
        Assert.Equal(
            [-0.01959994f, 0.04901102f, -0.0017457501f, -0.03505498f, 0.010060971f, 0.030273722f, -0.003920599f, 0.01525983f, -0.03744479f, 0.004335298f],
            w["b3"].ToArray());
        Assert.Equal(20.527508754530572, Sum(w["W1"].Span), SumTolerance);
        Assert.Equal(288.81101066936344, Sum(w["W2"].Span), SumTolerance);
        Assert.Equal(-5.6102872299602495, Sum(w["W3"].Span), SumTolerance);
        Assert.Equal(0.5585865329885564, Sum(w["b2"].Span), SumTolerance);
    }

    [Fact]
    public void Deep_convnet_params_load_all_sixteen_arrays_with_numpy_shapes_and_values()
    {
        var arrays = NumpyPickle.Load(TestData.Weights("deep_convnet_params.pkl"));

        int[][] shapes =
        [
            [16, 1, 3, 3], [16], [16, 16, 3, 3], [16], [32, 16, 3, 3], [32], [32, 32, 3, 3], [32],
            [64, 32, 3, 3], [64], [64, 64, 3, 3], [64], [1024, 50], [50], [50, 10], [10],
        ];
        Assert.Equal(Enumerable.Range(1, 8).SelectMany(i => new[] { $"W{i}", $"b{i}" }), arrays.Select(a => a.Name));
        for (int i = 0; i < shapes.Length; i++)
        {
            AssertArray(arrays, arrays[i].Name, shapes[i], "<f8", fortran: false);
        }

        var w = arrays.ToDictionary(a => a.Name, a => a.Tensor);
        Assert.Equal(-0.82774127f, w["W1"][0, 0, 0, 0]);
        Assert.Equal(0.77021843f, w["W1"][0, 0, 0, 1]);
        Assert.Equal(-0.046482313f, w["W1"][15, 0, 2, 2]);
        Assert.Equal(-3.9739705e-05f, w["W7"][1023, 49]);
        Assert.Equal(0.42785555f, w["W8"][0, 1]);
        Assert.Equal(
            [-0.07928623f, -0.09955295f, 0.03551433f, -0.018895183f, -0.095660605f, -0.08568586f, -0.15673478f, -0.14717005f, -0.074557595f, -0.0750508f],
            w["b8"].ToArray());
        Assert.Equal(-240.93804857119778, Sum(w["W6"].Span), SumTolerance);
        Assert.Equal(-162.3741539500934, Sum(w["W7"].Span), SumTolerance);
        Assert.Equal(-35.4796259769937, Sum(w["W8"].Span), SumTolerance);
    }

    [Fact]
    public void LoadTensors_maps_every_name_to_its_tensor()
    {
        string path = TestData.Weights("sample_weight.pkl");
        var arrays = NumpyPickle.Load(path);

        var tensors = NumpyPickle.LoadTensors(path);

        Assert.Equal(arrays.Select(a => a.Name).Order(), tensors.Keys.Order());
        Assert.All(arrays, a => Assert.Equal(a.Tensor.ToArray(), tensors[a.Name].ToArray()));
    }

    [Fact]
    public void Loading_from_memory_gives_the_same_arrays_as_loading_the_file()
    {
        string path = TestData.Weights("params.pkl");

        var fromFile = NumpyPickle.Load(path);
        var fromMemory = NumpyPickle.Load(File.ReadAllBytes(path), "params.pkl");

        Assert.Equal(fromFile.Select(a => (a.Name, a.DType, a.Tensor.ShapeString)), fromMemory.Select(a => (a.Name, a.DType, a.Tensor.ShapeString)));
        Assert.Equal(fromFile[2].Tensor.ToArray(), fromMemory[2].Tensor.ToArray());
    }

    [Fact]
    public void A_missing_file_is_a_FileNotFoundException_naming_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "deepscratch-no-such-weights.pkl");

        var e = Assert.Throws<FileNotFoundException>(() => NumpyPickle.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FileName);
    }

    private static void AssertArray(IReadOnlyList<NumpyArray> arrays, string name, int[] shape, string dtype, bool fortran)
    {
        var array = Assert.Single(arrays, a => a.Name == name);
        Assert.Equal(shape, array.Shape);
        Assert.Equal(shape, array.Tensor.Shape.ToArray());
        Assert.Equal(dtype, array.DType);
        Assert.Equal(fortran, array.FortranOrder);
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }
}
