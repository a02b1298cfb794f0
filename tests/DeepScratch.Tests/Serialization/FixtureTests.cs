using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>Small pickles written by numpy itself (<see cref="PickleFixtures"/>), checked array by array.</summary>
public class FixtureTests
{
    public static TheoryData<string> FixtureNames => new(PickleFixtures.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Every_array_numpy_wrote_is_read_back_with_its_name_shape_dtype_order_and_values(string fixtureName)
    {
        var fixture = PickleFixture.Named(fixtureName);

        var arrays = NumpyPickle.Load(fixture.Bytes, fixture.Name + ".pkl");

        Assert.Equal(fixture.Arrays.Select(a => a.Name), arrays.Select(a => a.Name));
        foreach (var (expected, actual) in fixture.Arrays.Zip(arrays))
        {
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Shape, actual.Tensor.Shape.ToArray());
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.FortranOrder, actual.FortranOrder);
            Assert.Equal(expected.Values, actual.Tensor.ToArray());
        }
    }

    [Fact]
    public void The_fixtures_cover_pickle_protocols_2_to_5()
    {
        // The second byte of a pickle is its PROTO argument.
        Assert.Equal([2, 3, 4, 5], PickleFixtures.All.Select(f => (int)f.Bytes[1]).Distinct().Order());
        Assert.All(PickleFixtures.All, f => Assert.Equal(f.Protocol, f.Bytes[1]));
    }

    [Fact]
    public void Fortran_ordered_arrays_hold_the_same_values_as_their_row_major_twins()
    {
        var arrays = Load("p4_fortran");

        Assert.True(arrays["f"].FortranOrder);
        Assert.False(arrays["c"].FortranOrder);
        Assert.Equal(arrays["c"].Tensor.ToArray(), arrays["f"].Tensor.ToArray());
        Assert.Equal(-0.5f, arrays["f"].Tensor[0, 3]);
        Assert.Equal(0f, arrays["f"].Tensor[1, 0]);
        Assert.Equal(13f, arrays["f3d"].Tensor[1, 2, 3]);
        Assert.Equal(-9f, arrays["f3d"].Tensor[0, 0, 1]);
    }

    [Fact]
    public void Big_endian_arrays_are_byte_swapped_and_keep_their_dtype_string()
    {
        var arrays = Load("p4_big_endian");

        Assert.Equal(">f4", arrays["f4"].DType);
        Assert.Equal(4096f, arrays["f4"].Tensor[1, 1]);
        Assert.Equal(">i4", arrays["i4"].DType);
        Assert.Equal([-1f, 65536f, 2147483647f], arrays["i4"].Tensor.ToArray());
    }

    [Fact]
    public void Zero_d_arrays_and_numpy_scalars_have_an_empty_shape_and_one_value()
    {
        var arrays = Load("p4_zero_d_and_empty");

        Assert.Empty(arrays["zero_d"].Shape);
        Assert.Equal(0, arrays["zero_d"].Tensor.Rank);
        Assert.Equal([3.5f], arrays["zero_d"].Tensor.ToArray());
        Assert.Equal([-1.25f], arrays["scalar_f8"].Tensor.ToArray());
        Assert.Equal("|b1", arrays["scalar_bool"].DType);
    }

    [Fact]
    public void Empty_arrays_keep_their_shape_and_have_no_values()
    {
        var arrays = Load("p4_zero_d_and_empty");

        Assert.Equal("(0, 3)", arrays["empty"].Tensor.ShapeString);
        Assert.Equal(0, arrays["empty"].Tensor.Length);
        Assert.Equal("(2, 0, 4)", arrays["empty_3d"].Tensor.ShapeString);
    }

    [Fact]
    public void Nested_containers_name_arrays_by_path()
    {
        Assert.Equal(["outer.inner", "outer.deeper.x", "list.0", "list.1", "tuple.0", "shared.0", "shared.1"], Names("p3_nested"));
        Assert.Equal(["0", "1"], Names("p3_top_list"));
        Assert.Equal(["0", "1.k"], Names("p5_top_tuple"));
        Assert.Equal(["array"], Names("p4_bare_array"));
    }

    [Fact]
    public void OrderedDict_keeps_insertion_order_rather_than_sorting()
    {
        Assert.Equal(["second", "first"], Names("p4_ordered_dict"));
        Assert.Equal(["b", "a"], Names("p2_ordered_dict"));
    }

    private static IEnumerable<string> Names(string fixtureName) =>
        NumpyPickle.Load(PickleFixture.Named(fixtureName).Bytes, fixtureName + ".pkl").Select(a => a.Name);

    private static Dictionary<string, NumpyArray> Load(string fixtureName) =>
        NumpyPickle.Load(PickleFixture.Named(fixtureName).Bytes, fixtureName + ".pkl").ToDictionary(a => a.Name);
}
