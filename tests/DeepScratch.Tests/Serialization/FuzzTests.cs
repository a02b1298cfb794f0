using System.Diagnostics;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Damaged pickles, made by mutating real ones with a seeded <see cref="Random"/> (so a failure can be replayed):
/// whatever the bytes, the loader either returns consistent arrays or throws <see cref="InvalidDataException"/>;
/// never an index, cast, overflow or out-of-memory exception, never a hang.
/// </summary>
public class FuzzTests
{
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public void Mutated_copies_of_sample_weight_only_ever_fail_with_InvalidDataException()
    {
        byte[] original = File.ReadAllBytes(TestData.Weights("sample_weight.pkl"));
        var random = new Random(20240601);
        var clock = Stopwatch.StartNew();
        int refused = 0;

        for (int i = 0; i < 2000; i++)
        {
            refused += LoadsOrRefuses(Mutate(original, random), $"sample_weight mutation {i}") ? 0 : 1;
        }

        Assert.True(clock.Elapsed < TimeLimit, $"2000 mutations took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(refused, 200, 2000); // most mutations in the structure must be caught
    }

    [Fact]
    public void Mutated_copies_of_every_fixture_only_ever_fail_with_InvalidDataException()
    {
        var random = new Random(17);
        var clock = Stopwatch.StartNew();

        foreach (var fixture in PickleFixtures.All)
        {
            byte[] original = fixture.Bytes;
            for (int i = 0; i < 500; i++)
            {
                LoadsOrRefuses(Mutate(original, random), $"{fixture.Name} mutation {i}");
            }
        }

        Assert.True(clock.Elapsed < TimeLimit, $"fixture mutations took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Every_truncation_of_every_fixture_is_refused_with_InvalidDataException()
    {
        foreach (var fixture in PickleFixtures.All)
        {
            byte[] bytes = fixture.Bytes;
            for (int length = 0; length < bytes.Length; length++)
            {
                var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(bytes.AsSpan(0, length), "cut.pkl"));
                Assert.StartsWith("cut.pkl: ", e.Message);
            }
        }
    }

    [Fact]
    public void Every_truncation_of_the_start_of_params_pkl_is_refused_with_InvalidDataException()
    {
        // The first 7,000 bytes hold the frame header, FRAME, MEMOIZE, STACK_GLOBAL and the first arrays.
        byte[] bytes = File.ReadAllBytes(TestData.Weights("params.pkl"));
        for (int length = 0; length < 7000; length++)
        {
            Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(bytes.AsSpan(0, length), "cut.pkl"));
        }
    }

    /// <summary>Loads the bytes; true when they load (and the result is consistent), false when refused properly.</summary>
    private static bool LoadsOrRefuses(byte[] data, string what)
    {
        try
        {
            foreach (var array in NumpyPickle.Load(data, "fuzz.pkl"))
            {
                Assert.Equal(array.Shape, array.Tensor.Shape.ToArray());
            }

            return true;
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith("fuzz.pkl: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: expected InvalidDataException, got {e}");
            throw;
        }
    }

    /// <summary>
    /// One to four random edits. Half of the positions fall in the first kilobyte or the last four kilobytes, where a
    /// weights pickle keeps its opcodes; the rest anywhere, including inside array data.
    /// </summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = Position(bytes.Count, random);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                case 3: bytes.RemoveAt(at); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                default: OverwriteLength(bytes, at, random); break;
            }
        }

        return [.. bytes];
    }

    private static readonly byte[] Interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'(', (byte)'.', (byte)'t', (byte)'b', (byte)'R', 0x93, 0x94, 0x95];

    private static int Position(int count, Random random) => random.Next(4) switch
    {
        0 => random.Next(Math.Min(count, 1024)),
        1 => Math.Max(0, count - 1 - random.Next(Math.Min(count, 4096))),
        _ => random.Next(count),
    };

    /// <summary>Writes a suspicious 4-byte little-endian value, as a corrupted length or memo index would be.</summary>
    private static void OverwriteLength(List<byte> bytes, int at, Random random)
    {
        uint[] values = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, (uint)random.Next(), (uint)random.Next(1 << 16)];
        uint value = values[random.Next(values.Length)];
        for (int i = 0; i < 4 && at + i < bytes.Count; i++)
        {
            bytes[at + i] = (byte)(value >> (8 * i));
        }
    }
}
