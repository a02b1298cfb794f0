using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// QA follow-up of issue 7 item 13 (finding 3): one memoized array referenced 20,000 times by a 4 MB pickle made
/// convert write 80 GB and inspect run 43 s. Every reference is charged its full size, so the arrays a pickle delivers
/// are bounded by a small multiple of its bytes; an honest file that shares an array a few times (tied weights) loads.
/// </summary>
public class SharedArrayCostTests
{
    private const int Rows = 100, Columns = 1000;

    [Fact]
    public void One_array_referenced_thousands_of_times_is_refused_within_a_bounded_allocation()
    {
        byte[] pickle = SharedArrayPickle(references: 20_000);
        InvalidDataException? error = null;

        long allocated = Allocations.OnThisThread(() => error = Record.Exception(() => NumpyPickle.Load(pickle, "rep_dict.pkl")) as InvalidDataException);

        Assert.NotNull(error);
        // 8 float32 bytes per file byte plus 1 MiB, as for the reader's own budget.
        long limit = (8L * pickle.Length) + (1 << 20);
        // The 400,000-byte array fits (limit / 400,000) times; the next reference is the one named.
        int refused = (int)(limit / (Rows * Columns * 4L));
        Assert.Equal(
            $"rep_dict.pkl: its arrays add up to more than {limit} bytes of float32 data at 'k{refused}', far more than the file holds "
            + "(one stored array referenced many times?): refused, since the file may be crafted to exhaust memory and disk; save each array once.",
            error.Message);
        Assert.True(allocated < 16L << 20, $"{allocated} bytes allocated to refuse a {pickle.Length}-byte file");
    }

    [Fact]
    public void An_array_shared_by_two_names_loads_under_both()
    {
        byte[] pickle = SharedArrayPickle(references: 2);

        var arrays = NumpyPickle.Load(pickle, "tied.pkl");

        Assert.Equal(["k0", "k1"], arrays.Select(a => a.Name));
        Assert.All(arrays, a => Assert.Equal([Rows, Columns], a.Shape));
        // Values by hand: element i is i % 7 - 3.
        Assert.All(arrays, a => Assert.Equal(-3f, a.Tensor.Span[0]));
        Assert.All(arrays, a => Assert.Equal(((Rows * Columns) - 1) % 7 - 3f, a.Tensor.Span[^1]));
    }

    /// <summary>
    /// <c>{f'k{i}': a for i in range(references)}</c> as pickle writes it: the array once, memoized, then a BINGET per key.
    /// </summary>
    internal static byte[] SharedArrayPickle(int references)
    {
        float[] values = Enumerable.Range(0, Rows * Columns).Select(i => (i % 7) - 3f).ToArray();
        var builder = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT)
            .Str("k0").NdArray([Rows, Columns], "f4", PickleBuilder.Float32Bytes(values)).Op(PickleOpcode.BINPUT).Raw(0)
            .Op(PickleOpcode.SETITEM);
        for (int i = 1; i < references; i++)
        {
            builder.Str($"k{i}").Op(PickleOpcode.BINGET).Raw(0).Op(PickleOpcode.SETITEM);
        }

        return builder.Stop().ToArray();
    }
}
