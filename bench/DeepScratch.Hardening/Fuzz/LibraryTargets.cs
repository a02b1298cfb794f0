using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using StbImageWriteSharp;

namespace DeepScratch.Hardening.Fuzz;

/// <summary>
/// Every reader of untrusted bytes in DeepScratch as a fuzz target, with seeds made from the real files: the book's
/// three pickles, the MNIST t10k IDX files (gzip and raw, plus 50-item cuts of them for throughput), the safetensors
/// models the library saves (the book's nets converted, a small CNN and a two-layer net), and PNG / JPEG / BMP digits
/// written from MNIST images. DeepScratch writes ONNX (OnnxExport) but reads none, so there is no ONNX target.
/// </summary>
public static class LibraryTargets
{
    /// <summary>The note every report carries about ONNX.</summary>
    public const string OnnxNote = "onnx: not read by DeepScratch (OnnxExport only writes it), so there is no ONNX reader to fuzz";

    /// <summary>The target names, in run order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["pickle", "idx-images", "idx-labels", "safetensors", "model", "png", "jpeg", "bmp", "sniff"];

    /// <summary>
    /// Builds the targets named in <paramref name="only"/> (all when null), writing generated seeds (converted models,
    /// images) to <paramref name="seedFolder"/>.
    /// </summary>
    /// <param name="dataFolder">The data folder: mnist/t10k-*-ubyte.gz and weights/*.pkl.</param>
    /// <param name="seedFolder">A scratch folder for generated seeds.</param>
    /// <param name="only">The formats wanted, or null for all.</param>
    /// <exception cref="FileNotFoundException">A real seed file is missing from <paramref name="dataFolder"/>.</exception>
    public static IReadOnlyList<FuzzTarget> Create(string dataFolder, string seedFolder, IReadOnlyCollection<string>? only = null)
    {
        Directory.CreateDirectory(seedFolder);
        bool Wanted(params string[] names) => only is null || names.Any(only.Contains);
        string weights = Path.Combine(dataFolder, "weights"), mnist = Path.Combine(dataFolder, "mnist");
        var pickles = new[] { "sample_weight.pkl", "params.pkl", "deep_convnet_params.pkl" }.Select(n => Path.Combine(weights, n)).ToArray();
        var targets = new List<FuzzTarget>();

        // Real pickles; the big ones less often, for throughput (each is still picked thousands of times in a long run).
        var pickleSeeds = new List<FuzzSeed>
        {
            new("sample_weight.pkl", Real(pickles[0]), 4),
            new("params.pkl", Real(pickles[1]), 0.5),
            new("deep_convnet_params.pkl", Real(pickles[2]), 1),
        };
        if (Wanted("pickle"))
        {
            targets.Add(new FuzzTarget("pickle", "NumpyPickle.Load(bytes)", ".pkl", pickleSeeds, ReadPickle, [typeof(InvalidDataException)], PickleLie));
        }

        byte[] imagesGz = Real(Path.Combine(mnist, "t10k-images-idx3-ubyte.gz")), labelsGz = Real(Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz"));
        byte[] imagesRaw = Gzip.Decompress(imagesGz), labelsRaw = Gzip.Decompress(labelsGz);
        if (Wanted("idx-images"))
        {
            byte[] small = Cut(imagesRaw, 16, 784, 50);
            targets.Add(new FuzzTarget("idx-images", "IdxReader.ReadImages + OpenImages/Read", ".idx", [
                new("t10k-images-idx3-ubyte.gz", imagesGz, 0.05), new("t10k-images-idx3-ubyte (raw)", imagesRaw, 0.05),
                new("first 50 images (raw)", small, 2), new("first 50 images (gzip)", Gzip.Compress(small), 2),
            ], ReadIdxImages, [typeof(InvalidDataException)], (d, r) => IdxLie(d, r, 16))
            {
                Requested = ContentBytes,
            });
        }

        if (Wanted("idx-labels"))
        {
            byte[] small = Cut(labelsRaw, 8, 1, 50);
            targets.Add(new FuzzTarget("idx-labels", "IdxReader.ReadLabels + OpenLabels/Read", ".idx", [
                new("t10k-labels-idx1-ubyte.gz", labelsGz, 1), new("t10k-labels-idx1-ubyte (raw)", labelsRaw, 0.5),
                new("first 50 labels (raw)", small, 2), new("first 50 labels (gzip)", Gzip.Compress(small), 2),
            ], ReadIdxLabels, [typeof(InvalidDataException)], (d, r) => IdxLie(d, r, 8))
            {
                Requested = ContentBytes,
            });
        }

        var models = new List<FuzzSeed>();
        if (Wanted("safetensors", "model", "sniff"))
        {
            foreach (var (pickle, weight) in pickles.Zip(new[] { 1.0, 0.3, 0.5 }))
            {
                string saved = Path.Combine(seedFolder, Path.GetFileNameWithoutExtension(pickle) + ".safetensors");
                ModelFile.Convert(pickle, saved);
                models.Add(new FuzzSeed(Path.GetFileName(saved) + " (converted)", File.ReadAllBytes(saved), weight));
            }

            string cnn = Path.Combine(seedFolder, "small-cnn.safetensors");
            ModelFile.Save(cnn, new SimpleConvNet(inputShape: [1, 12, 12], filters: 3, filterSize: 3, hidden: 8, classes: 10, init: "0.1", seed: 7));
            models.Add(new FuzzSeed("small SimpleConvNet", File.ReadAllBytes(cnn), 3));
            string mlp = Path.Combine(seedFolder, "small-two-layer.safetensors");
            ModelFile.Save(mlp, NetworkFactory.Create(new Dictionary<string, string>
            {
                ["model"] = NetworkFactory.TwoLayer, ["input"] = "16", ["hidden"] = "6", ["output"] = "4",
            }, seed: 3));
            models.Add(new FuzzSeed("small TwoLayerNet", File.ReadAllBytes(mlp), 3));
        }

        if (Wanted("safetensors"))
        {
            targets.Add(new FuzzTarget("safetensors", "SafeTensors.Load(bytes)", ".safetensors", models, ReadSafeTensors, [typeof(InvalidDataException)], SafeTensorsLie));
        }

        if (Wanted("model"))
        {
            // Whole-model loading: format sniffing, then a pickle or a safetensors file, metadata and shapes checked.
            var seeds = models.Append(pickleSeeds[0] with { Weight = 2 }).ToList();
            targets.Add(new FuzzTarget("model", "ModelFile.Load(path)", ".model", seeds, ReadModel, [typeof(InvalidDataException)],
                (d, r) => d.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(d) < (ulong)d.Length ? SafeTensorsLie(d, r) : PickleLie(d, r)));
        }

        var digits = Wanted("png", "jpeg", "bmp", "sniff") ? Digits(imagesRaw) : [];
        var writer = new ImageWriter();
        var imageTargets = new (string Name, Func<byte[], int, int, ColorComponents, byte[]> Encode, Func<byte[], Random, byte[]> Lie)[]
        {
            ("png", (p, w, h, c) => Encode(s => writer.WritePng(p, w, h, c, s)), PngLie),
            ("jpeg", (p, w, h, c) => Encode(s => writer.WriteJpg(p, w, h, c, s, 90)), JpegLie),
            ("bmp", (p, w, h, c) => Encode(s => writer.WriteBmp(p, w, h, c, s)), BmpLie),
        };
        var allImages = new List<FuzzSeed>();
        foreach (var (name, encode, lie) in imageTargets)
        {
            var seeds = digits.Select(d => new FuzzSeed($"{d.Name}.{name}", encode(d.Pixels, d.Width, d.Height, d.Components))).ToList();
            allImages.AddRange(seeds);
            if (Wanted(name))
            {
                targets.Add(new FuzzTarget(name, "DigitImage.FromEncoded", "." + name, seeds, ReadImage, [typeof(InvalidDataException), typeof(EmptyDigitImageException)], lie)
                {
                    Requested = RequestedRaster,
                });
            }
        }

        if (Wanted("sniff"))
        {
            // File-kind sniffing runs on anything a user points DeepScratch at: it must never throw.
            var seeds = new List<FuzzSeed> { pickleSeeds[0], new("first 50 images (gzip)", Gzip.Compress(Cut(imagesRaw, 16, 784, 50))), new("t10k labels (raw)", labelsRaw) };
            seeds.AddRange(models.Where(m => m.Bytes.Length < 1 << 20));
            seeds.AddRange(allImages.Where((_, i) => i % digits.Count < 2)); // two of each image format
            seeds.Add(new FuzzSeed("html error page", "<!DOCTYPE html><html><body>404 Not Found</body></html>\n"u8.ToArray()));
            seeds.Add(new FuzzSeed("git lfs pointer", "version https://git-lfs.github.com/spec/v1\noid sha256:0123456789abcdef\nsize 17040\n"u8.ToArray()));
            targets.Add(new FuzzTarget("sniff", "SafeTensors.LooksLikeSafeTensors (FileIdentity.Identify), DigitImage.IdentifyFormat/TryReadSize", ".bin",
                seeds, Sniff, [], (d, r) => r.Next(2) == 0 ? SafeTensorsLie(d, r) : IdxLie(d, r, 16)));
        }

        return targets;
    }

    private static byte[] Real(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"fuzz seed not found: {path} (give the data folder with --data or DEEPSCRATCH_DATA)", path);

    // ---- readers: each checks its result is consistent and returns the bytes it produced ----

    private static long ReadPickle(byte[] input, string path)
    {
        long output = 0;
        foreach (var array in NumpyPickle.Load(input, "fuzz.pkl"))
        {
            long product = array.Shape.Aggregate(1L, (a, b) => a * b);
            Require(array.Tensor.Length == product && array.Shape.All(d => d >= 0) && array.DType.Length > 0,
                $"array '{array.Name}' holds {array.Tensor.Length} values for shape ({string.Join(", ", array.Shape)}) and dtype '{array.DType}'");
            output += 4L * array.Tensor.Length;
        }

        return output;
    }

    private static long ReadSafeTensors(byte[] input, string path)
    {
        var file = SafeTensors.Load(input, "fuzz.safetensors");
        long output = 0;
        foreach (var (name, tensor) in file.Tensors)
        {
            Require(tensor.Length == tensor.Shape.ToArray().Aggregate(1L, (a, b) => a * b), $"tensor '{name}' length {tensor.Length} is not its shape's product");
            Require(file.StoredDTypes.Count == 0 || file.StoredDTypes.ContainsKey(name), $"tensor '{name}' has no stored dtype");
            output += 4L * tensor.Length;
        }

        return output + file.Metadata.Sum(p => 2L * (p.Key.Length + p.Value.Length));
    }

    private static long ReadModel(byte[] input, string path)
    {
        var model = ModelFile.Load(path);
        long inputs = model.InputShape.Aggregate(1L, (a, b) => a * b);
        Require(inputs > 0 && model.Classes > 0 && model.Description.Length > 0, $"model with {inputs} inputs and {model.Classes} classes");
        // The arrays returned are the network's parameters; a network that does not list them (the book's
        // chapter 3 net) holds at most 4 bytes of float32 per input byte (uint8 arrays widen 4 times).
        return model is INetwork network
            ? network.Parameters.Sum(p => 4L * p.Value.Length) + network.Buffers.Values.Sum(t => 4L * t.Length)
            : 4L * input.Length;
    }

    private static long ReadIdxImages(byte[] input, string path)
    {
        var images = IdxReader.ReadImages(path);
        Require(images.Pixels.Length == (long)images.Count * images.Rows * images.Columns, $"{images.Pixels.Length} pixels for {images.Count} x {images.Rows} x {images.Columns}");
        // The streaming reader must agree with the whole-file reader on the same bytes.
        using var stream = IdxReader.OpenImages(path);
        Require(stream.Count == images.Count && stream.RecordSize == images.ImageSize, "streaming header disagrees");
        var buffer = new byte[Math.Max(1, stream.RecordSize) * 16];
        int total = 0;
        for (int read; (read = stream.Read(buffer)) > 0;)
        {
            Require(buffer.AsSpan(0, read * stream.RecordSize).SequenceEqual(images.Pixels.AsSpan(total * images.ImageSize, read * images.ImageSize)), "streamed pixels differ");
            total += read;
        }

        Require(total == images.Count, $"streamed {total} of {images.Count} images");
        return images.Pixels.Length + buffer.Length;
    }

    private static long ReadIdxLabels(byte[] input, string path)
    {
        byte[] labels = IdxReader.ReadLabels(path);
        using var stream = IdxReader.OpenLabels(path);
        Require(stream.Count == labels.Length, "streaming header disagrees");
        var buffer = new byte[256];
        int total = 0;
        for (int read; (read = stream.Read(buffer)) > 0;)
        {
            Require(buffer.AsSpan(0, read).SequenceEqual(labels.AsSpan(total, read)), "streamed labels differ");
            total += read;
        }

        Require(total == labels.Length, $"streamed {total} of {labels.Length} labels");
        return labels.Length + buffer.Length;
    }

    private static long ReadImage(byte[] input, string path)
    {
        var digit = DigitImage.FromEncoded(input, "fuzz-image");
        Require(digit.Pixels.Length == DigitImage.Size * DigitImage.Size && digit.Pixels.All(v => v is >= 0 and <= 1),
            $"{digit.Pixels.Length} pixels, or values outside [0, 1]");
        Require(digit.SourceWidth > 0 && digit.SourceHeight > 0, $"source {digit.SourceWidth}x{digit.SourceHeight}");
        return 4L * digit.Pixels.Length + (3L * digit.SourceWidth * digit.SourceHeight);
    }

    /// <summary>
    /// The raster an image's header asks for: width x height x 3 bytes (grey-alpha and grey, as DigitImage decodes),
    /// only for sizes DigitImage accepts (at most MaxPixels, and no more than DigitImage.MostPixelsIn the file). A small
    /// compressed file may honestly ask for a large image.
    /// </summary>
    private static long RequestedRaster(byte[] input) =>
        DigitImage.TryReadSize(input, out int w, out int h) && w > 0 && h > 0 && (long)w * h <= Math.Min(DigitImage.MaxPixels, DigitImage.MostPixelsIn(input))
            ? 3L * w * h : 0;

    /// <summary>
    /// What an IDX input really holds: its decompressed bytes for gzip (read until the data ends or breaks), else its
    /// length. A reader refusing a cut download has honestly read up to that much.
    /// </summary>
    private static long ContentBytes(byte[] input)
    {
        if (input is not [0x1f, 0x8b, ..])
        {
            return input.Length;
        }

        long total = 0;
        var buffer = new byte[1 << 16];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(input), CompressionMode.Decompress);
            for (int read; (read = gzip.Read(buffer)) > 0 && total < int.MaxValue;)
            {
                total += read;
            }
        }
        catch (InvalidDataException)
        {
            // Broken data: what came before the break counts.
        }

        return total;
    }

    private static long Sniff(byte[] input, string path)
    {
        _ = SafeTensors.LooksLikeSafeTensors(path);
        _ = DigitImage.IdentifyFormat(input);
        _ = DigitImage.TryReadSize(input, out _, out _);
        return 0;
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInconsistencyException($"inconsistent result: {what}");
        }
    }

    // ---- seeds ----

    /// <summary>An IDX file of the first <paramref name="count"/> records, its header's count set to match.</summary>
    private static byte[] Cut(byte[] raw, int headerBytes, int recordBytes, int count)
    {
        var cut = raw[..(headerBytes + (count * recordBytes))];
        BinaryPrimitives.WriteInt32BigEndian(cut.AsSpan(4), count);
        return cut;
    }

    /// <summary>MNIST digits as images: light-on-dark and dark-on-light, grey and RGB, 28x28 and scaled up 3 times.</summary>
    private static List<(string Name, byte[] Pixels, int Width, int Height, ColorComponents Components)> Digits(byte[] imagesRaw)
    {
        var digits = new List<(string, byte[], int, int, ColorComponents)>();
        for (int i = 0; i < 4; i++)
        {
            byte[] digit = imagesRaw.AsSpan(16 + (i * 784), 784).ToArray();
            byte[] inverted = [.. digit.Select(p => (byte)(255 - p))];
            digits.Add(($"digit{i}-28", digit, 28, 28, ColorComponents.Grey));
            digits.Add(($"digit{i}-paper-rgb", [.. inverted.SelectMany(p => new[] { p, p, p })], 28, 28, ColorComponents.RedGreenBlue));
            byte[] large = new byte[84 * 84];
            for (int y = 0; y < 84; y++)
            {
                for (int x = 0; x < 84; x++)
                {
                    large[(y * 84) + x] = inverted[((y / 3) * 28) + (x / 3)];
                }
            }

            digits.Add(($"digit{i}-paper-84", large, 84, 84, ColorComponents.Grey));
        }

        return digits;
    }

    private static byte[] Encode(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    // ---- format-aware header lies ----

    /// <summary>Pickle opcodes followed by a 4-byte (BINUNICODE, BINBYTES, BINSTRING, BININT, LONG_BINGET/PUT, LONG4) or 8-byte length.</summary>
    private static readonly byte[] FourByteOpcodes = [(byte)'X', (byte)'B', (byte)'T', (byte)'J', (byte)'j', (byte)'r', 0x8b];
    private static readonly byte[] EightByteOpcodes = [0x8d, 0x8e, 0x96, 0x95];

    private static byte[] PickleLie(byte[] data, Random random)
    {
        int at = Math.Min(data.Length, random.Next(2) == 0 ? 2 : Mutator.Position(data.Length, random));
        int[] depths = [10, 100, 1000, 10_000, 100_000];
        switch (random.Next(6))
        {
            case 0: // deep nesting: a run of MARK, EMPTY_LIST, EMPTY_DICT, EMPTY_TUPLE or alternating MARK/EMPTY_LIST
            {
                byte[][] units = [[(byte)'('], [(byte)']'], [(byte)'}'], [(byte)')'], [(byte)'(', (byte)']'], [(byte)']', (byte)'(']];
                byte[] unit = units[random.Next(units.Length)];
                int n = depths[random.Next(depths.Length)];
                var run = new byte[unit.Length * n];
                for (int i = 0; i < n; i++)
                {
                    unit.CopyTo(run, i * unit.Length);
                }

                return [.. data.AsSpan(0, at), .. run, .. data.AsSpan(at)];
            }

            case 1: // repeated references: MARK, then BINGET k many times, then LIST (a list of one memo entry n times)
            {
                int n = depths[random.Next(depths.Length)];
                byte k = (byte)random.Next(4);
                var run = new List<byte> { (byte)'(' };
                for (int i = 0; i < n; i++)
                {
                    run.Add((byte)'h');
                    run.Add(k);
                }

                run.Add((byte)'l');
                int end = data.AsSpan().LastIndexOf((byte)'.');
                at = end > 0 && random.Next(2) == 0 ? end : at;
                return [.. data.AsSpan(0, at), .. run, .. data.AsSpan(at)];
            }

            case 2: // a length or integer argument set to 2^31-1, 2^32, 2^63, -1, ...
            case 3:
            {
                bool eight = random.Next(3) == 0;
                var opcodes = eight ? EightByteOpcodes : FourByteOpcodes;
                var hits = new List<int>();
                for (int i = 0; i < data.Length; i++)
                {
                    if (opcodes.Contains(data[i]))
                    {
                        hits.Add(i);
                    }
                }

                if (hits.Count == 0)
                {
                    return data;
                }

                int op = hits[random.Next(hits.Count)];
                var copy = (byte[])data.Clone();
                long value = Mutator.InterestingLength(random);
                if (eight && op + 9 <= copy.Length)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(copy.AsSpan(op + 1), value);
                }
                else if (op + 5 <= copy.Length)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(op + 1), unchecked((int)value));
                }

                return copy;
            }

            case 4: // a wrong dtype string (same length keeps the pickle's framing; another length breaks it)
            {
                string[] from = ["f8", "f4", "u1", "i8", "<f8", "<f4"];
                string[] to = ["c8", "O8", "U8", "V8", "M8", "m8", "f2", "f1", "b8", "i3", "S8", "f16", "O", "", "<c16", "|V4", ">f8", "f9999999999"];
                return Mutator.Replace(data, Encoding.ASCII.GetBytes(from[random.Next(from.Length)]), Encoding.ASCII.GetBytes(to[random.Next(to.Length)]), random);
            }

            default: // a huge shape: a BININT1 dimension becomes a BININT of an interesting value
            {
                int k = data.AsSpan().IndexOf((byte)'K');
                if (k < 0)
                {
                    return data;
                }

                for (int skip = random.Next(32); skip > 0; skip--)
                {
                    int next = data.AsSpan(k + 1).IndexOf((byte)'K');
                    if (next < 0)
                    {
                        break;
                    }

                    k += next + 1;
                }

                if (k + 2 > data.Length)
                {
                    return data;
                }

                var value = new byte[5];
                value[0] = (byte)'J';
                BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(1), unchecked((int)Mutator.InterestingLength(random)));
                return [.. data.AsSpan(0, k), .. value, .. data.AsSpan(k + 2)];
            }
        }
    }

    /// <summary>IDX: a count, a dimension or the magic lies (in the raw bytes, or inside the gzip stream and recompressed).</summary>
    private static byte[] IdxLie(byte[] data, Random random, int headerBytes)
    {
        bool gzip = data is [0x1f, 0x8b, ..];
        if (gzip && random.Next(4) == 0 && data.Length >= 4)
        {
            // The gzip trailer's size (mod 2^32) lies.
            return Mutator.Overwrite32(data, data.Length - 4, random, bigEndian: false);
        }

        byte[] raw = data;
        if (gzip)
        {
            try
            {
                raw = Gzip.Decompress(data);
            }
            catch (InvalidDataException)
            {
                return data;
            }

            if (random.Next(4) == 0 && raw.Length >= headerBytes)
            {
                // A lie the trailer agrees with: the header claims k times the records, the trailer the matching size.
                int record = headerBytes == 16 ? Math.Max(1, BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(8)) * BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(12))) : 1;
                long claimed = (long)BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4)) * new[] { 2, 8, 16, 64, 1000 }[random.Next(5)];
                var lying = (byte[])raw.Clone();
                BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(4), (int)Math.Clamp(claimed, 0, int.MaxValue));
                byte[] packed = Gzip.Compress(lying);
                BinaryPrimitives.WriteUInt32LittleEndian(packed.AsSpan(packed.Length - 4), unchecked((uint)(headerBytes + (Math.Clamp(claimed, 0, int.MaxValue) * record))));
                return packed;
            }
        }

        int field = random.Next(headerBytes / 4);
        byte[] lied;
        if (field == 0 && raw.Length >= 4)
        {
            lied = (byte[])raw.Clone();
            int[] magics = [0x0801, 0x0803, 0x0802, 0x0804, 0x0800, 0x0803 | 0x0d00, 0x0c03, 0x08ff, 0x0000, unchecked((int)0xffff0803)];
            BinaryPrimitives.WriteInt32BigEndian(lied, magics[random.Next(magics.Length)]);
        }
        else
        {
            lied = Mutator.Overwrite32(raw, field * 4, random, bigEndian: true);
        }

        return gzip ? Gzip.Compress(lied) : lied;
    }

    /// <summary>
    /// safetensors: the length prefix, a tensor's data_offsets, shape or dtype lie; tensors overlap; the JSON header
    /// nests deeply or repeats a key.
    /// </summary>
    private static byte[] SafeTensorsLie(byte[] data, Random random)
    {
        if (data.Length < 8)
        {
            return data;
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (random.Next(6) == 0 || n > (ulong)(data.Length - 8))
        {
            var copy = (byte[])data.Clone();
            long[] near = [(long)n + 1, (long)n - 1, (long)n + 8, data.Length, data.Length - 7];
            long value = random.Next(2) == 0 ? Mutator.InterestingLength(random) : near[random.Next(near.Length)];
            BinaryPrimitives.WriteInt64LittleEndian(copy, value);
            return copy;
        }

        string header = Encoding.UTF8.GetString(data, 8, (int)n);
        byte[] body = data[(8 + (int)n)..];
        string lied;
        int choice = random.Next(5);
        if (choice == 0)
        {
            // Deep nesting in the header, as a value of a new key or as the metadata.
            int depth = new[] { 10, 64, 100, 1000, 100_000 }[random.Next(5)];
            string nested = random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
            string key = random.Next(2) == 0 ? "__metadata__" : "deep";
            string rest = header.TrimStart();
            lied = "{\"" + key + "\":" + nested + "," + (rest.Length > 0 ? rest[1..] : "}");
        }
        else if (choice == 1)
        {
            // A repeated key: the first tensor's entry twice.
            int colon = header.IndexOf("\":", StringComparison.Ordinal), close = header.IndexOf('}', colon < 0 ? 0 : colon);
            int start = header.IndexOf('{') + 1;
            if (colon < 0 || close < 0)
            {
                return data;
            }

            string entry = header[start..(close + 1)];
            lied = "{" + entry + "," + header[start..];
        }
        else
        {
            JsonObject? root;
            List<JsonObject>? tensors;
            try
            {
                root = JsonNode.Parse(header) as JsonObject;
                tensors = root?.Where(p => p.Key != "__metadata__" && p.Value is JsonObject).Select(p => (JsonObject)p.Value!).ToList();
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
            {
                return data; // not JSON, or a key repeated by an earlier lie: left as it is
            }

            if (root is null || tensors is null || tensors.Count == 0)
            {
                return data;
            }

            var tensor = tensors[random.Next(tensors.Count)];
            long big = Mutator.InterestingLength(random);
            switch (choice)
            {
                case 2: // offsets: huge, negative, reversed, past the end, or overlapping another tensor
                    var other = tensors[random.Next(tensors.Count)]["data_offsets"]?.DeepClone();
                    tensor["data_offsets"] = random.Next(4) switch
                    {
                        0 => new JsonArray(0, big),
                        1 => new JsonArray(big, big),
                        2 => new JsonArray(body.Length, body.Length + 4),
                        _ => other ?? new JsonArray(0, 4),
                    };
                    break;
                case 3: // shape: huge, negative, zero, too many dimensions, not numbers
                    tensor["shape"] = random.Next(5) switch
                    {
                        0 => new JsonArray(big, big),
                        1 => new JsonArray(-1),
                        2 => new JsonArray(0, big),
                        3 => new JsonArray([.. Enumerable.Range(0, 100).Select(_ => (JsonNode?)JsonValue.Create(1))]),
                        _ => new JsonArray("1", 2.5, null),
                    };
                    break;
                default: // dtype: unknown, wrong case, empty, other sizes
                    string[] dtypes = ["F8", "f32", "I4", "BOOL", "U64", "C64", "F8_E4M3", "", "F32 ", "STRING", "BF16", "F64", "U8", "I64"];
                    tensor["dtype"] = dtypes[random.Next(dtypes.Length)];
                    break;
            }

            lied = root.ToJsonString();
        }

        byte[] json = Encoding.UTF8.GetBytes(lied);
        var output = new byte[8 + json.Length + body.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)json.Length);
        json.CopyTo(output, 8);
        body.CopyTo(output, 8 + json.Length);
        return output;
    }

    private static readonly int[] ImageSides = [0, 1, 65535, 32768, 20_000, 7072, 100_000, int.MaxValue, -1, 1 << 24];

    /// <summary>PNG: IHDR width, height, bit depth or colour type lie, or a chunk length does.</summary>
    private static byte[] PngLie(byte[] data, Random random)
    {
        if (data.Length < 33)
        {
            return data;
        }

        var copy = (byte[])data.Clone();
        switch (random.Next(4))
        {
            case 0:
                BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(16 + (4 * random.Next(2))), ImageSides[random.Next(ImageSides.Length)]);
                break;
            case 1:
                copy[24 + random.Next(2)] = new byte[] { 0, 1, 2, 3, 4, 6, 7, 8, 16, 255 }[random.Next(10)];
                break;
            default:
                int idat = copy.AsSpan().IndexOf("IDAT"u8);
                return Mutator.Overwrite32(copy, random.Next(2) == 0 && idat >= 4 ? idat - 4 : 8, random, bigEndian: true);
        }

        return copy;
    }

    /// <summary>JPEG: the frame header's height, width or component count lie, or a segment length does.</summary>
    private static byte[] JpegLie(byte[] data, Random random)
    {
        var copy = (byte[])data.Clone();
        int sof = copy.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        if (sof < 0 || sof + 10 > copy.Length)
        {
            return data;
        }

        ushort[] sides = [0, 1, 65535, 32768, 20_000, 7072, 8, 9];
        switch (random.Next(4))
        {
            case 0:
            case 1:
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(sof + 5 + (2 * random.Next(2))), sides[random.Next(sides.Length)]);
                break;
            case 2:
                copy[sof + 9] = new byte[] { 0, 2, 4, 255 }[random.Next(4)];
                break;
            default:
                // Any segment's length field.
                var markers = new List<int>();
                for (int i = 2; i + 3 < copy.Length; i++)
                {
                    if (copy[i] == 0xFF && copy[i + 1] is >= 0xC0 and <= 0xFE and not (>= 0xD0 and <= 0xD9))
                    {
                        markers.Add(i);
                    }
                }

                if (markers.Count > 0)
                {
                    int m = markers[random.Next(markers.Count)];
                    BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(m + 2), new ushort[] { 0, 1, 2, 0xFFFF, 0x8000 }[random.Next(5)]);
                }

                break;
        }

        return copy;
    }

    /// <summary>BMP: width, height (negative means top-down), bits per pixel, data offset or compression lie.</summary>
    private static byte[] BmpLie(byte[] data, Random random)
    {
        if (data.Length < 34)
        {
            return data;
        }

        var copy = (byte[])data.Clone();
        switch (random.Next(4))
        {
            case 0:
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(18 + (4 * random.Next(2))), ImageSides[random.Next(ImageSides.Length)] * (random.Next(4) == 0 ? -1 : 1));
                break;
            case 1:
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(28), new ushort[] { 0, 1, 2, 4, 8, 15, 16, 24, 32, 64, 0xFFFF }[random.Next(11)]);
                break;
            case 2:
                return Mutator.Overwrite32(copy, random.Next(2) == 0 ? 10 : 14, random, bigEndian: false);
            default:
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(30), random.Next(8));
                break;
        }

        return copy;
    }
}
