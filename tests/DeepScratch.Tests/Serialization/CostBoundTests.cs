using System.Buffers.Binary;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Issue 7 item 13 (the pickle reader's part): the time and memory a pickle can make the reader spend are bounded by a
/// small multiple of its size: dict keys cannot be aimed at one hash bucket, and containers, dict and memo entries and
/// copied lists are charged to the allocation budget. No timing: counts and allocated bytes only.
/// </summary>
public class CostBoundTests
{
    /// <summary>Generous ceiling for what refusing any of these files may allocate, against the 165 MB to 1.5 GB seen before.</summary>
    private const long MaxAllocatedBytes = 48L << 20;

    [Theory]
    [InlineData((byte)']', "EMPTY_LIST")]
    [InlineData((byte)'}', "EMPTY_DICT")]
    public void Refusing_a_run_of_empty_containers_allocates_no_more_than_the_budget(byte opcode, string name)
    {
        // 40,000 one-byte container opcodes: the budget is 8 bytes per input byte + 1 MiB = 8 * 40,003 + 1,048,576
        // = 1,368,600 bytes. Found by the fuzz harness: the charge's name was formatted for every container, so refusing
        // such a file allocated 3,099,208 bytes, 2.3 times the budget.
        byte[] pickle = [0x80, 2, .. Enumerable.Repeat(opcode, 40_000), (byte)'.'];
        byte[] warmUp = [0x80, 2, opcode, (byte)'.'];
        Record.Exception(() => NumpyPickle.Load(warmUp, "warm.pkl")); // first-call costs are not the file's

        InvalidDataException? e = null;
        long allocated = Allocations.OnThisThread(() => e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "containers.pkl")));

        Assert.Contains($"the containers {name} builds would need 64 more bytes of memory, past the 1368600 that a file of this size can honestly describe", e!.Message, StringComparison.Ordinal);

        Assert.True(allocated < 1_368_600 + (64 << 10), $"{allocated} bytes allocated to refuse {e!.Message}");
    }

    [Fact]
    public void Int_keys_that_all_collide_under_the_default_hash_spread_under_the_dict_key_hash()
    {
        // (i << 32) | i: the two halves are equal, so long.GetHashCode (their XOR) is 0 for every key.
        long[] keys = Enumerable.Range(1, 50_000).Select(i => ((long)i << 32) | (uint)i).ToArray();
        Assert.Single(keys.Select(k => k.GetHashCode()).Distinct());

        var comparer = PickleDict.KeyComparer;
        int distinct = keys.Select(k => comparer.GetHashCode(k)).Distinct().Count();

        Assert.Same(PickleKeyComparer.Instance, comparer);
        Assert.True(distinct > 49_000, $"{distinct} distinct hash codes for 50,000 keys");
        // The same holds for float keys built to collide the same way, and for bytes keys (Python 2 str), which
        // compare by value as in Python.
        double[] floats = keys.Select(BitConverter.Int64BitsToDouble).ToArray();
        Assert.True(floats.Select(f => comparer.GetHashCode(f)).Distinct().Count() > 49_000);
        Assert.True(comparer.Equals(new byte[] { 1, 2 }, new byte[] { 1, 2 }));
        Assert.Equal(comparer.GetHashCode(new byte[] { 1, 2 }), comparer.GetHashCode(new byte[] { 1, 2 }));
    }

    [Fact]
    public void A_dict_of_50000_colliding_int_keys_builds_with_few_key_comparisons()
    {
        var counting = new CountingComparer();
        var dict = new Dictionary<object, int>(counting);
        for (int i = 1; i <= 50_000; i++)
        {
            dict.Add(((long)i << 32) | (uint)i, i);
        }

        // A quadratic build would compare about 50,000^2 / 2 = 1.25e9 times; seeded hashing leaves a handful per key.
        Assert.True(counting.Comparisons < 500_000, $"{counting.Comparisons} key comparisons");
    }

    [Fact]
    public void A_small_dict_scanned_linearly_and_a_grown_dict_with_an_index_keep_python_semantics()
    {
        // Keys 0..19 set twice, then 5.0 beside 5; in the small dict a bytes key, a None key and 5L, 5.0, 5L again
        // (5 == 5.0 in Python, but the reader keeps int and float apart, as it always did). The index is built at the
        // ninth key: before and after it, a key set again keeps its first position and takes its last value.
        var dict = new PickleDict();
        var expected = new List<(object? Key, object? Value)>();
        for (long round = 0; round < 2; round++)
        {
            for (long k = 0; k < 20; k++)
            {
                dict.Set(k, round * 100 + k);
                if (round == 0)
                {
                    expected.Add((k, null));
                }

                expected[(int)k] = (k, round * 100 + k);
            }

            // 5.0 beside the int key 5, found through the index: a key of its own, not a second setting of 5.
            dict.Set(5.0, 1000.0 + round);
            if (round == 0)
            {
                expected.Add((5.0, null));
            }

            expected[20] = (5.0, 1000.0 + round);
        }

        var small = new PickleDict();
        small.Set(new byte[] { 1 }, 1L);
        small.Set(null, 2L);
        small.Set(new byte[] { 1 }, 3L);
        small.Set(null, 4L);
        small.Set(5L, 5L);
        small.Set(5.0, 6L);
        small.Set(5L, 7L);

        Assert.Equal(expected.Select(e => e.Key), dict.Entries.Select(e => e.Key));
        Assert.Equal(expected.Select(e => e.Value), dict.Entries.Select(e => e.Value));
        Assert.Equal(4, small.Entries.Count);
        Assert.Equal([3L, 4L, 7L, 6L], small.Entries.Select(e => e.Value));
        Assert.Null(small.Entries[1].Key);
        Assert.Equal(5L, Assert.IsType<long>(small.Entries[2].Key));
        Assert.Equal(5.0, Assert.IsType<double>(small.Entries[3].Key));
        Assert.IsType<double>(dict.Entries[20].Key);
    }

    [Fact]
    public void A_pickle_dict_of_colliding_int_keys_loads_to_the_names_it_holds()
    {
        // 2,000 colliding keys, each mapping to a scalar array: the file is honest and loads, names in order.
        var builder = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark();
        for (int i = 1; i <= 2_000; i++)
        {
            builder.Op(PickleOpcode.LONG1).Raw(8).Raw(Le(((long)i << 32) | (uint)i)).NdArray([], "f4", PickleBuilder.Float32Bytes(i));
        }

        var arrays = NumpyPickle.Load(builder.Op(PickleOpcode.SETITEMS).Stop().ToArray(), "keys.pkl");

        Assert.Equal(2_000, arrays.Count);
        Assert.Equal((4294967296L + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), arrays[0].Name);
        Assert.Equal(2_000f, arrays[^1].Tensor.ToArray()[0]);
    }

    [Fact]
    public void Passing_one_stored_list_to_OrderedDict_over_and_over_is_refused_within_a_bounded_allocation()
    {
        // A list of 20,000 (key, None) pairs, then 20,000 calls OrderedDict(list): 4e8 entries from about 200 KB.
        var builder = new PickleBuilder().Proto(2).Global("collections", "OrderedDict").Op(PickleOpcode.BINPUT).Raw(0)
            .Op(PickleOpcode.POP).Op(PickleOpcode.EMPTY_LIST).Mark();
        for (int i = 0; i < 20_000; i++)
        {
            builder.Int(i).None().Op(PickleOpcode.TUPLE2);
        }

        builder.Op(PickleOpcode.APPENDS).Op(PickleOpcode.BINPUT).Raw(1).Op(PickleOpcode.EMPTY_LIST);
        for (int i = 0; i < 20_000; i++)
        {
            builder.Op(PickleOpcode.BINGET).Raw(0).Op(PickleOpcode.BINGET).Raw(1).Op(PickleOpcode.TUPLE1)
                .Op(PickleOpcode.REDUCE).Op(PickleOpcode.APPEND);
        }

        byte[] pickle = builder.Stop().ToArray();

        AssertRefusedWithin(pickle, "OrderedDict would need");
    }

    [Fact]
    public void A_megabyte_of_empty_dicts_is_refused_within_a_bounded_allocation()
    {
        var builder = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_LIST);
        for (int i = 0; i < 500_000; i++)
        {
            builder.Op(PickleOpcode.EMPTY_DICT).Op(PickleOpcode.APPEND);
        }

        AssertRefusedWithin(builder.Stop().ToArray(), "bytes of memory");
    }

    [Fact]
    public void A_megabyte_of_memo_entries_is_refused_within_a_bounded_allocation()
    {
        var builder = new PickleBuilder().Proto(2).None();
        for (uint i = 0; i < 200_000; i++)
        {
            builder.Op(PickleOpcode.LONG_BINPUT).UInt32(i);
        }

        AssertRefusedWithin(builder.Stop().ToArray(), "the memo would need");
    }

    [Fact]
    public void The_books_pickle_stays_well_inside_its_budget()
    {
        byte[] pickle = File.ReadAllBytes(TestData.Weights("sample_weight.pkl"));

        long allocated = Allocations.OnThisThread(() => NumpyPickle.Load(pickle, "sample_weight.pkl"));

        // float32 weights are copied once into tensors: about the file's size, plus bookkeeping.
        Assert.True(allocated < 4L * pickle.Length, $"{allocated} bytes allocated for a {pickle.Length}-byte file");
    }

    private static void AssertRefusedWithin(byte[] pickle, string expected)
    {
        InvalidDataException? error = null;
        long allocated = Allocations.OnThisThread(() => error = Record.Exception(() => NumpyPickle.Load(pickle, "hostile.pkl")) as InvalidDataException);

        Assert.NotNull(error);
        Assert.Contains(expected, error.Message);
        Assert.Contains("the file may be crafted to exhaust memory", error.Message);
        Assert.True(allocated < MaxAllocatedBytes, $"{allocated} bytes allocated to refuse a {pickle.Length}-byte file");
    }

    private static byte[] Le(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>The pickle reader's key comparer, counting how often two keys are compared.</summary>
    private sealed class CountingComparer : IEqualityComparer<object>
    {
        public long Comparisons { get; private set; }

        public new bool Equals(object? x, object? y)
        {
            Comparisons++;
            return PickleKeyComparer.Instance.Equals(x, y);
        }

        public int GetHashCode(object obj) => PickleKeyComparer.Instance.GetHashCode(obj);
    }
}
