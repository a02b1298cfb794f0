using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Tests.Images;

/// <summary>
/// DigitImage on digits the tests draw themselves: the MNIST preparation checked numerically (the ink box fits 20x20
/// with one side 20, the centre of mass within half a pixel of (14, 14), values in [0, 1], polarity found and inverted,
/// position, file format and noise not changing the result), a hand-computed case, the pretrained DeepConvNet reading
/// drawn digits and real MNIST test digits pasted large onto paper, and the documented errors.
/// </summary>
public sealed class DigitImageTests
{
    private static readonly Lazy<InferenceSession> DeepConvNet = new(() => ModelFile.Load(TestData.Weights("deep_convnet_params.pkl")).CreatePredictor(1)!);

    /// <summary>A "2" drawn as three strokes in a w x h box at (left, top).</summary>
    private static (double, double)[] Two(double left, double top, double w, double h) =>
    [
        (left, top + (0.25 * h)), (left + (0.3 * w), top), (left + (0.8 * w), top + (0.05 * h)), (left + w, top + (0.3 * h)),
        (left + (0.6 * w), top + (0.6 * h)), (left, top + h), (left + w, top + h),
    ];

    /// <summary>A "7": the top bar and the diagonal.</summary>
    private static (double, double)[] Seven(double left, double top, double w, double h) =>
        [(left, top), (left + w, top), (left + (0.35 * w), top + h)];

    public static TheoryData<string> Drawings => ["thick pen", "thin pen", "off-centre", "light on dark", "large canvas", "grey noisy paper", "colour"];

    private static (Canvas Canvas, bool DarkOnLight) Draw(string kind) => kind switch
    {
        "thick pen" => (new Canvas(200, 200, 255).Stroke(0, 9, Two(50, 30, 100, 140)), true),
        "thin pen" => (new Canvas(400, 400, 250).Stroke(30, 1.2, Two(100, 60, 180, 280)), true),
        "off-centre" => (new Canvas(300, 300, 255).Stroke(0, 5, Seven(200, 10, 80, 110)), true),
        "light on dark" => (new Canvas(200, 200, 0).Stroke(255, 7, Seven(40, 30, 110, 140)), false),
        "large canvas" => (new Canvas(2000, 1500, 240).Stroke(10, 25, Two(700, 300, 500, 800)), true),
        "grey noisy paper" => (new Canvas(300, 300, 170).Stroke(40, 8, Two(80, 60, 140, 180)).Noise(15, 7), true),
        "colour" => (new Canvas(240, 240, 235).Stroke(35, 8, Seven(50, 40, 130, 160)), true),
        _ => throw new ArgumentException(kind),
    };

    private static DigitInput Prepare(Canvas canvas, bool colour = false) => DigitImage.FromEncoded(canvas.ToPng(colour), "drawing.png");

    [Theory]
    [MemberData(nameof(Drawings))]
    public void A_drawn_digit_becomes_an_mnist_style_input(string kind)
    {
        var (canvas, darkOnLight) = Draw(kind);
        var input = Prepare(canvas, colour: kind == "colour");
        var p = input.Pixels;

        Assert.Equal(784, p.Length);
        Assert.All(p, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(darkOnLight, input.Inverted);
        Assert.Equal((canvas.Width, canvas.Height), (input.SourceWidth, input.SourceHeight));

        // The ink's box in 28x28: fits 20x20 and fills it along its longer side (MNIST's normalisation).
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                float v = p[(y * 28) + x];
                if (v > 0)
                {
                    (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                }

                mass += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }

        int w = x1 - x0 + 1, h = y1 - y0 + 1;
        Assert.True(w <= 20 && h <= 20 && Math.Max(w, h) == 20, $"{kind}: ink box {w}x{h}");
        Assert.InRange(mx / mass, 13.5, 14.5);
        Assert.InRange(my / mass, 13.5, 14.5);

        // The strongest pixel is 1 (stretched, as MNIST's digits reach 255), the paper is exactly 0 (the corners are paper for every drawing here).
        Assert.Equal(1f, p.Max());
        Assert.Equal(0f, p[0]);
        Assert.Equal(0f, p[783]);
    }

    [Fact]
    public void A_solid_bar_gives_the_hand_computed_input_in_either_polarity()
    {
        // A 10x40 bar of full ink: scale 20/40 = 0.5 gives a 5x20 box of ones (area averaging of whole ones). Its centre
        // of mass (2.5, 10) goes to (14, 14): top = 14 - 10 = 4; left = 14 - 2.5 = 11.5, rounded to even: 12.
        var light = new Canvas(100, 100, 0);
        for (int y = 20; y < 60; y++)
        {
            for (int x = 30; x < 40; x++)
            {
                light.Pixels[(y * 100) + x] = 255;
            }
        }

        var expected = new float[784];
        for (int y = 4; y < 24; y++)
        {
            for (int x = 12; x < 17; x++)
            {
                expected[(y * 28) + x] = 1f;
            }
        }

        var lightInput = Prepare(light);
        var darkInput = Prepare(light.Inverted());
        Assert.Equal(expected, lightInput.Pixels);
        Assert.Equal(expected, darkInput.Pixels);
        Assert.False(lightInput.Inverted);
        Assert.True(darkInput.Inverted);
        Assert.Equal((30, 20, 10, 40), lightInput.InkBox);
        Assert.Equal(128, lightInput.Threshold); // halfway between the class means 0 and 255
    }

    [Fact]
    public void Position_polarity_and_file_format_do_not_change_the_input()
    {
        var centred = new Canvas(300, 300, 255).Stroke(0, 6, Two(100, 80, 100, 140));
        var corner = new Canvas(300, 300, 255).Stroke(0, 6, Two(10, 150, 100, 140));
        var reference = Prepare(centred).Pixels;

        Assert.Equal(reference, Prepare(corner).Pixels);
        Assert.Equal(reference, Prepare(centred.Inverted()).Pixels);
        Assert.Equal(reference, DigitImage.FromEncoded(centred.ToBmp(), "drawing.bmp").Pixels);
        Assert.Equal(reference, DigitImage.FromGrey(centred.Pixels, 300, 300, "drawing").Pixels);
    }

    [Fact]
    public void A_transparent_canvas_export_is_ink_on_white_paper()
    {
        // Black ink on white paper, and the same drawing as a canvas exports it (ink opaque, paper transparent black):
        // composited over white, the two are the same picture.
        var white = new Canvas(200, 200, 255).Stroke(0, 7, Two(50, 30, 100, 140));
        var exported = DigitImage.FromEncoded(white.ToTransparentPng(255), "canvas.png");

        Assert.True(exported.Inverted);
        Assert.Equal(Prepare(white).Pixels, exported.Pixels);
    }

    [Fact]
    public void A_jpeg_photo_gives_nearly_the_input_of_the_lossless_picture()
    {
        var canvas = new Canvas(260, 260, 230).Stroke(25, 8, Seven(60, 40, 140, 180));
        var lossless = Prepare(canvas);
        var jpeg = DigitImage.FromEncoded(canvas.ToJpeg(), "photo.jpg");

        // JPEG's ringing around the strokes moves a few grey levels, not the ink: the same box within a pixel, the
        // inputs within a few percent of each other, the same reading.
        Assert.True(jpeg.Inverted);
        Assert.InRange(Math.Abs(jpeg.InkBox.Width - lossless.InkBox.Width), 0, 2);
        Assert.InRange(Math.Abs(jpeg.InkBox.Height - lossless.InkBox.Height), 0, 2);
        double difference = lossless.Pixels.Zip(jpeg.Pixels, (x, y) => Math.Abs(x - y)).Sum() / lossless.Pixels.Sum();
        Assert.True(difference < 0.1, $"relative difference {difference}");
        Assert.Equal(7, ArgMax(Classify(jpeg.Pixels)));
    }

    [Fact]
    public void Noise_on_grey_paper_is_not_ink()
    {
        var clean = new Canvas(300, 300, 170).Stroke(40, 8, Two(80, 60, 140, 180));
        var noisy = new Canvas(300, 300, 170).Stroke(40, 8, Two(80, 60, 140, 180)).Noise(15, 3);
        var a = Prepare(clean);
        var b = Prepare(noisy);

        // The specks of noise do not widen the ink box (beyond a pixel of noise touching the stroke) nor add ink: the input stays within a few percent of the clean one.
        Assert.InRange(b.InkBox.X, a.InkBox.X - 1, a.InkBox.X);
        Assert.InRange(b.InkBox.Y, a.InkBox.Y - 1, a.InkBox.Y);
        Assert.InRange(b.InkBox.Width, a.InkBox.Width, a.InkBox.Width + 2);
        Assert.InRange(b.InkBox.Height, a.InkBox.Height, a.InkBox.Height + 2);
        double difference = a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Sum() / a.Pixels.Sum();
        Assert.True(difference < 0.05, $"relative difference {difference}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(2)]
    public void The_pretrained_deep_convnet_reads_drawn_digits(int digit)
    {
        var canvas = new Canvas(320, 320, 245);
        _ = digit switch
        {
            1 => canvas.Stroke(20, 10, (150, 60), (170, 40), (170, 280)),
            0 => canvas.Ellipse(20, 10, 160, 160, 70, 110),
            7 => canvas.Stroke(20, 10, Seven(80, 50, 160, 220)),
            _ => canvas.Stroke(20, 10, Two(90, 50, 150, 220)),
        };
        var probabilities = Classify(Prepare(canvas).Pixels);

        Assert.Equal(digit, ArgMax(probabilities));
        Assert.Equal(1.0, probabilities.Sum(), 3);
    }

    [Fact]
    public void Mnist_test_digits_pasted_large_onto_paper_are_read_as_their_labels()
    {
        // The first 200 test digits, enlarged 7x (bilinear), dark on grey paper with noise, at a varying place on a
        // 400x300 canvas: preparing them must give back an input the network reads as the label.
        using var reader = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        var pixels = new byte[784 * 200];
        var labels = new byte[200];
        Assert.Equal(200, reader.Read(pixels, labels));
        int correct = 0, originalCorrect = 0;
        var wrong = new List<string>();
        for (int n = 0; n < 200; n++)
        {
            var image = pixels.AsSpan(n * 784, 784);
            var canvas = new Canvas(400, 300, 225);
            int left = 20 + (n * 37 % 180), top = 10 + (n * 53 % 90);
            for (int y = 0; y < 196; y++)
            {
                for (int x = 0; x < 196; x++)
                {
                    double v = Bilinear(image, ((x + 0.5) / 7) - 0.5, ((y + 0.5) / 7) - 0.5);
                    canvas.Pixels[((top + y) * 400) + left + x] = (byte)Math.Round(225 - (v * 205 / 255));
                }
            }

            canvas.Noise(6, n);
            int predicted = ArgMax(Classify(Prepare(canvas).Pixels));
            correct += predicted == labels[n] ? 1 : 0;
            originalCorrect += ArgMax(Classify([.. image.ToArray().Select(b => b / 255f)])) == labels[n] ? 1 : 0;
            if (predicted != labels[n])
            {
                wrong.Add($"{n}: {labels[n]} -> {predicted}");
            }
        }

        // DeepConvNet gets 0.9797 of the test set; re-preparing costs at most two more of these 200.
        Assert.True(correct >= originalCorrect - 2, $"{correct} of 200 read right after preparation, {originalCorrect} before; wrong: {string.Join(", ", wrong)}");
    }

    [Fact]
    public void An_image_with_no_ink_is_refused_with_the_documented_exception()
    {
        var blank = Assert.Throws<EmptyDigitImageException>(() => Prepare(new Canvas(100, 80, 255)));
        Assert.Equal("drawing.png: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels).", blank.Message);
        Assert.Throws<EmptyDigitImageException>(() => Prepare(new Canvas(100, 80, 200).Stroke(180, 4, (10, 10), (90, 70))));
        Assert.Throws<EmptyDigitImageException>(() => Prepare(new Canvas(200, 200, 128).Noise(20, 1)));
        Assert.Throws<EmptyDigitImageException>(() => DigitImage.FromGrey(new byte[1], 1, 1, "dot"));
    }

    [Fact]
    public void Unreadable_and_oversized_files_are_invalid_data_and_the_pixels_of_a_huge_header_are_never_allocated()
    {
        var garbage = Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded("not an image at all"u8.ToArray(), "x.png"));
        Assert.Equal("x.png: not an image this program can read (PNG, JPEG or BMP expected; the decoder says: unknown image type).", garbage.Message);

        byte[] good = new Canvas(50, 50, 255).Stroke(0, 3, (10, 10), (40, 40)).ToPng();
        Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded(good[..60], "cut.png"));
        Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded([], "empty.png"));

        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, 10_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 8_000);
        ihdr[8] = 8;
        byte[] huge = Canvas.Png(ihdr, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded(huge, "huge.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("huge.png: the image is 10000x8000 pixels, more than the 50 megapixels accepted; scale it down first.", e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_png_whose_IDAT_length_runs_past_the_end_is_refused_before_the_decoder_buffers_that_length()
    {
        // Found by the fuzz harness: StbImageSharp grows its buffer to an IDAT chunk's claimed length (up to 1 GiB)
        // before reading it; a 4 KB file made it allocate 268 MB.
        byte[] png = new Canvas(50, 50, 255).Stroke(0, 3, (10, 10), (40, 40)).ToPng();
        Assert.Equal("IDAT"u8.ToArray(), png[37..41]); // after the signature (8 bytes) and IHDR (25)
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(33), (1u << 30) - 1);

        InvalidDataException? e = null;
        long allocated = Allocations.OnThisThread(() => e = Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded(png, "lying.png")));

        Assert.Equal("lying.png: not an image this program can read (the PNG file is cut short or damaged).", e!.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
        Assert.False(DigitImage.TryReadSize(png, out _, out _));
    }

    [Fact]
    public void A_jpeg_whose_header_claims_more_pixels_than_its_bytes_can_hold_is_refused_before_decoding()
    {
        // Found by the fuzz harness: a 1 KB JPEG claiming 7000x7000 (49 MP, under the 50 MP limit) was decoded in full,
        // its missing data filled in, taking over 10 s and a 98 MB raster. Every 8x8 block needs at least one bit, so
        // a JPEG of n bytes holds at most 512 n pixels.
        byte[] jpeg = new Canvas(40, 40, 255).Stroke(0, 3, (10, 10), (30, 30)).ToJpeg();
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.True(sof > 0 && 512L * jpeg.Length < 7000 * 7000, $"{jpeg.Length} bytes");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 7000); // height
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 7000); // width

        InvalidDataException? e = null;
        long allocated = Allocations.OnThisThread(() => e = Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded(jpeg, "big.jpg")));

        Assert.Equal($"big.jpg: the JPEG header claims 7000x7000 pixels, more than {jpeg.Length} bytes of JPEG data can hold; the file is cut short or damaged.", e!.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated");
        // The bound lets real files through: the 40x40 original, and a 2000x1500 photo-sized drawing.
        Assert.Equal(DigitImage.Size * DigitImage.Size, DigitImage.FromEncoded(new Canvas(2000, 1500, 240).Stroke(10, 25, Two(700, 300, 500, 800)).ToJpeg(), "photo.jpg").Pixels.Length);
    }

    [Fact]
    public async Task A_jpeg_header_followed_by_bytes_that_are_no_marker_is_refused_and_TryReadSize_does_not_loop()
    {
        // Found by the fuzz harness: after SOI and APP0, bytes that are no marker, then a comment segment (FF FE) whose
        // length runs past the end, made StbImageSharp's header reader loop forever, in FromEncoded and in TryReadSize
        // (which the web server calls on request bodies).
        byte[] jpeg = new Canvas(40, 40, 255).Stroke(0, 3, (10, 10), (30, 30)).ToJpeg();
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 }, jpeg[..6]); // SOI, then APP0 of 16 bytes: ends at byte 20
        byte[] input = JunkAfterHeader(jpeg);

        var run = Task.Run(() => (DigitImage.TryReadSize(input, out _, out _), Record.Exception(() => DigitImage.FromEncoded(input, "junk.jpg"))));

        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)))); // else the reader looped
        var (sized, error) = await run;
        Assert.False(sized);
        var e = Assert.IsType<InvalidDataException>(error);
        Assert.Equal("junk.jpg: not an image this program can read (the JPEG file is cut short: it ends inside its header, at byte 144).", e.Message);
    }

    /// <summary>
    /// The first 20 bytes of <paramref name="jpeg"/> (SOI, APP0), 80 bytes without 0xFF, a comment marker claiming
    /// 31,772 bytes, 40 more bytes without 0xFF: 144 bytes (the shape of the fuzz input that hung).
    /// </summary>
    internal static byte[] JunkAfterHeader(byte[] jpeg)
    {
        var junk = new byte[120];
        new Random(71).NextBytes(junk);
        junk.AsSpan().Replace((byte)0xFF, (byte)0x00);
        return [.. jpeg[..20], .. junk[..80], 0xFF, 0xFE, 0x7C, 0x1C, .. junk[80..]];
    }

    [Fact]
    public void Load_reads_a_file_and_names_a_missing_one()
    {
        string dir = Directory.CreateTempSubdirectory("deepscratch-digit-").FullName;
        try
        {
            string path = Path.Combine(dir, "seven.png");
            var canvas = new Canvas(120, 120, 255).Stroke(0, 5, Seven(20, 20, 70, 80));
            File.WriteAllBytes(path, canvas.ToPng());
            Assert.Equal(Prepare(canvas).Pixels, DigitImage.Load(path).Pixels);
            Assert.Throws<FileNotFoundException>(() => DigitImage.Load(Path.Combine(dir, "missing.png")));

            // A file over 256 MiB (sparse: no disk used) is refused from its length, before it is read.
            string big = Path.Combine(dir, "big.png");
            using (var stream = File.Create(big))
            {
                stream.SetLength((256L << 20) + 1);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => DigitImage.Load(big));
            Assert.Equal($"{big}: the file is 268435457 bytes, more than the 268435456 an image may have.", e.Message);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static float[] Classify(float[] input)
    {
        var p = new float[10];
        lock (DeepConvNet)
        {
            DeepConvNet.Value.Predict(input, 1, p);
        }

        return p;
    }

    private static int ArgMax(float[] p) => Array.IndexOf(p, p.Max());

    private static double Bilinear(ReadOnlySpan<byte> image, double x, double y)
    {
        int xa = (int)Math.Floor(x), ya = (int)Math.Floor(y);
        double fx = x - xa, fy = y - ya, sum = 0;
        for (int dy = 0; dy <= 1; dy++)
        {
            for (int dx = 0; dx <= 1; dx++)
            {
                int sx = Math.Clamp(xa + dx, 0, 27), sy = Math.Clamp(ya + dy, 0, 27);
                sum += image[(sy * 28) + sx] * (dx == 1 ? fx : 1 - fx) * (dy == 1 ? fy : 1 - fy);
            }
        }

        return sum;
    }
}
