namespace DeepScratch.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void Dot_of_mismatched_shapes_names_both_shapes_and_the_dimensions()
    {
        // The book's example: a (2, 3) matrix cannot be multiplied by a (2, 2) one.
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(2, 2);
        var e = Assert.Throws<ArgumentException>(() => a.Dot(b));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(2, 2)", e.Message);
        Assert.Contains("(3)", e.Message);
        Assert.Contains("(2)", e.Message);
    }

    [Fact]
    public void Dot_of_two_matrices_is_the_matrix_product()
    {
        // The book's example: [[1, 2], [3, 4]] . [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
        var a = Tensor.FromRows([1, 2], [3, 4]);
        var b = Tensor.FromRows([5, 6], [7, 8]);
        var c = a.Dot(b);
        Assert.Equal([2, 2], c.Shape.ToArray());
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.ToArray());
    }

    [Fact]
    public void Dot_of_a_vector_and_a_matrix_gives_a_vector()
    {
        // The book's simple network: X (2,) . W (2, 3) = Y (3,) with W = [[1, 3, 5], [2, 4, 6]].
        var x = Tensor.FromValues(1, 2);
        var w = Tensor.FromRows([1, 3, 5], [2, 4, 6]);
        var y = x.Dot(w);
        Assert.Equal([3], y.Shape.ToArray());
        Assert.Equal(new float[] { 5, 11, 17 }, y.ToArray());
    }

    [Fact]
    public void Dot_of_a_matrix_and_a_vector_gives_a_vector()
    {
        var a = Tensor.FromRows([1, 2, 3], [4, 5, 6]);
        var y = a.Dot(Tensor.FromValues(1, 0, -1));
        Assert.Equal([2], y.Shape.ToArray());
        Assert.Equal(new float[] { -2, -2 }, y.ToArray());
    }

    [Fact]
    public void Dot_of_two_vectors_or_3d_tensors_is_refused_with_the_supported_forms()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromValues(1, 2).Dot(Tensor.FromValues(3, 4)));
        Assert.Contains("1-D x 2-D", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2, 2).Dot(Tensor.Zeros(2, 2)));
    }

    [Fact]
    public void Constructor_refuses_data_that_does_not_fill_the_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("6", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
    }

    [Fact]
    public void Storage_is_row_major_and_indexable()
    {
        var t = new Tensor([0, 1, 2, 3, 4, 5], 2, 3);
        Assert.Equal(5f, t[1, 2]);
        Assert.Equal(3f, t[1, 0]);
        t[0, 1] = 9;
        Assert.Equal(9f, t.Span[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[2, 0]);
        Assert.Throws<ArgumentException>(() => t[1]);
    }

    [Fact]
    public void Reshape_is_a_view_and_infers_one_dimension()
    {
        var flat = Tensor.Zeros(784);
        var image = flat.Reshape(28, -1);
        Assert.Equal([28, 28], image.Shape.ToArray());
        image[27, 27] = 1f;
        Assert.Equal(1f, flat[783]); // shares storage
        var e = Assert.Throws<ArgumentException>(() => flat.Reshape(5, -1));
        Assert.Contains("(784,)", e.Message);
        Assert.Throws<ArgumentException>(() => flat.Reshape(27, 28));
    }

    [Fact]
    public void Rows_gives_a_batch_view_without_copying()
    {
        var t = new Tensor([0, 1, 2, 3, 4, 5, 6, 7], 4, 2);
        var batch = t.Rows(1, 2);
        Assert.Equal([2, 2], batch.Shape.ToArray());
        Assert.Equal(new float[] { 2, 3, 4, 5 }, batch.ToArray());
        batch[0, 0] = 42;
        Assert.Equal(42f, t[1, 0]);
        Assert.Equal(new float[] { 6, 7 }, t.Row(3).ToArray());
        Assert.Equal([2], t.Row(3).Shape.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Rows(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Row(4));
    }

    [Fact]
    public void Rows_of_a_view_offset_into_the_shared_storage()
    {
        var t = new Tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5, 2);
        var inner = t.Rows(1, 4).Rows(2, 2);
        Assert.Equal(new float[] { 6, 7, 8, 9 }, inner.ToArray());
        Assert.Equal(new float[] { 4, 5 }, t.Rows(1, 4).Row(1).ToArray());
    }

    [Fact]
    public void Clone_has_its_own_storage()
    {
        var t = Tensor.FromValues(1, 2);
        var c = t.Clone();
        c[0] = 5;
        Assert.Equal(1f, t[0]);
    }

    [Fact]
    public void Element_wise_arithmetic_works_on_equal_shapes_and_scalars()
    {
        var a = Tensor.FromValues(1, 2, 3);
        var b = Tensor.FromValues(2, 4, 6);
        Assert.Equal(new float[] { 3, 6, 9 }, (a + b).ToArray());
        Assert.Equal(new float[] { -1, -2, -3 }, (a - b).ToArray());
        Assert.Equal(new float[] { 2, 8, 18 }, (a * b).ToArray());
        Assert.Equal(new float[] { 0.5f, 0.5f, 0.5f }, (a / b).ToArray());
        Assert.Equal(new float[] { 3, 4, 5 }, (a + 2).ToArray());
        Assert.Equal(new float[] { 0, 1, 2 }, (a - 1).ToArray());
        Assert.Equal(new float[] { 2, 4, 6 }, (2 * a).ToArray());
        Assert.Equal(new float[] { 0.5f, 1, 1.5f }, (a / 2).ToArray());
        Assert.Equal(new float[] { -1, -2, -3 }, (-a).ToArray());
        Assert.Equal(new float[] { 1, 2, 3 }, a.ToArray()); // operands untouched
    }

    [Fact]
    public void Element_wise_arithmetic_refuses_different_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(3, 2));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(3, 2)", e.Message);
    }

    [Fact]
    public void AddRowVector_adds_the_bias_to_every_row()
    {
        var x = Tensor.FromRows([1, 2, 3], [4, 5, 6]);
        var y = x.AddRowVector(Tensor.FromValues(0.1f, 0.2f, 0.3f));
        Assert.Equal(new float[] { 1.1f, 2.2f, 3.3f, 4.1f, 5.2f, 6.3f }, y.ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, x.ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.AddRowVector(Tensor.FromValues(1, 2)));
        Assert.Contains("(3,)", e.Message);
    }

    [Fact]
    public void Reductions_along_the_last_axis_give_one_value_per_row()
    {
        var x = Tensor.FromRows([0.1f, 0.8f, 0.1f], [0.3f, 0.1f, 0.6f], [0.2f, 0.5f, 0.3f], [0.8f, 0.1f, 0.1f]);
        Assert.Equal(new[] { 1, 2, 1, 0 }, x.ArgMaxLastAxis());
        Assert.Equal(new float[] { 0.8f, 0.6f, 0.5f, 0.8f }, x.MaxLastAxis().ToArray());
        var sums = x.SumLastAxis();
        Assert.Equal([4], sums.Shape.ToArray());
        Assert.All(sums.ToArray(), s => Assert.Equal(1f, s, 1e-6f));
        Assert.Equal(4f, x.Sum(), 1e-5f);
        Assert.Equal(0.8f, x.Max());
        Assert.Equal(0.1f, x.Min());
        Assert.Equal(1, x.ArgMax());
    }

    [Fact]
    public void ArgMax_takes_the_first_of_equal_maxima_as_numpy_does()
    {
        Assert.Equal(new[] { 1 }, Tensor.FromRows([0, 3, 3]).ArgMaxLastAxis());
    }

    [Fact]
    public void Reductions_of_empty_tensors_are_refused()
    {
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(0).Max());
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(3, 0).ArgMaxLastAxis());
        Assert.Equal(0f, Tensor.Zeros(0).Sum());
    }

    [Fact]
    public void ShapeString_formats_like_numpy()
    {
        Assert.Equal("(784,)", Tensor.Zeros(784).ShapeString);
        Assert.Equal("(28, 28)", Tensor.Zeros(28, 28).ShapeString);
        Assert.Equal("()", Tensor.Scalar(5f).ShapeString);
    }

    [Fact]
    public void Zeros_makes_zeros_of_the_given_shape_and_keeps_its_own_copy_of_the_shape()
    {
        int[] shape = [2, 3];
        var t = Tensor.Zeros(shape);
        shape[0] = 5; // the caller's array is not the tensor's shape
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal(6, t.Length);
        Assert.Equal(new float[6], t.ToArray());

        var image = Tensor.Zeros(784);
        Assert.Equal(1, image.Rank);
        Assert.Equal(784, image.Length);
        Assert.All(image.ToArray(), v => Assert.Equal(0f, v));

        // np.zeros(()) is the 0-d zero.
        var zero = Tensor.Zeros();
        Assert.Equal("()", zero.ShapeString);
        Assert.Equal([0f], zero.ToArray());

        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, -2));
        Assert.Equal("Shape (3, -2) has a negative dimension. (Parameter 'shape')", e.Message);
    }

    [Fact]
    public void Scalar_is_the_0d_tensor_holding_the_value()
    {
        var s = Tensor.Scalar(2f);
        Assert.Equal(0, s.Rank);
        Assert.Equal("()", s.ShapeString);
        Assert.Equal(1, s.Length);
        Assert.Equal(2f, s[[]]);
        Assert.Equal([2f], s.ToArray());
        Assert.Equal(float.NegativeInfinity, Tensor.Scalar(float.NegativeInfinity).ToArray()[0]);
    }

    [Fact]
    public void Constructor_without_a_shape_is_refused_and_names_Tensor_Scalar()
    {
        // Before issue 8, new Tensor([2f]) silently meant the scalar 2 while new Tensor(784) meant 784 zeros.
        var e = Assert.Throws<ArgumentException>(() => new Tensor([2f]));
        Assert.Equal(
            "No shape was given for 1 value(s); give the shape, e.g. new Tensor(data, 1), or use Tensor.Scalar(value) for a 0-d tensor. (Parameter 'shape')",
            e.Message);
        Assert.Equal("shape", e.ParamName);

        var many = Assert.Throws<ArgumentException>(() => new Tensor([1f, 2f, 3f]));
        Assert.StartsWith("No shape was given for 3 value(s); give the shape, e.g. new Tensor(data, 3),", many.Message);

        // The other data-wrapping construction, FromPixels, refuses a missing shape the same way.
        Assert.Throws<ArgumentException>(() => Tensor.FromPixels([255], normalize: true));
        Assert.Equal([1], Tensor.FromPixels([255], normalize: true, 1).Shape.ToArray());
    }

    [Fact]
    public void A_stored_0d_array_is_still_wrapped_as_a_scalar()
    {
        // A file's shape () is a real 0-d array (numpy's np.array(3.0)), not a forgotten shape.
        var t = Tensor.FromStored([3f], []);
        Assert.Equal("()", t.ShapeString);
        Assert.Equal(3f, t[[]]);
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromStored([1f, 2f], []));
        Assert.Equal("Shape () holds 1 elements but 2 values were given. (Parameter 'shape')", e.Message);
    }
}
