using DeepScratch.Tests.Images;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Messages a new user met (issue 10 follow-up), run as a process: damaged images named as cut short or damaged
/// (never the decoder's NUL-padded text), a required option left out named with its value, a missing --weights file
/// with the data folder's file of that name as a hint, and output paths written exactly as given.
/// </summary>
public sealed class MessageCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-messages-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertOneLine(CliResult r, int exitCode, string line)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {line}"], r.StderrLines);
    }

    private static Canvas Digit() => new Canvas(64, 48, 250).Stroke(10, 4, (30, 8), (34, 40)).Noise(3, 1);

    private CliResult PredictImage(string path) => CliRunner.Run(_dir, "predict", "--image", path, "--data", TestData.Dir);

    [Fact]
    public void A_cut_short_or_damaged_png_is_named_so_without_the_decoders_padding()
    {
        byte[] png = Digit().ToPng();
        Assert.True(png.Length > 500);
        string cut = Write("cut.png", png[..500]);
        AssertOneLine(PredictImage(cut), 3, $"{cut}: not an image this program can read (the PNG file is cut short or damaged).");

        // The signature, then random bytes: the decoder's reason is a short text and is quoted.
        var random = new byte[500];
        new Random(7).NextBytes(random);
        png.AsSpan(0, 8).CopyTo(random);
        string noise = Write("noise.png", random);
        AssertOneLine(PredictImage(noise), 3, $"{noise}: not an image this program can read (the PNG file is cut short or damaged; the decoder says: first not IHDR).");

        // A broken zlib header in the IDAT chunk (its first two bytes, after the 8-byte signature, IHDR's 25 and IDAT's 8).
        byte[] zlib = (byte[])png.Clone();
        Assert.Equal("IDAT"u8.ToArray(), zlib[37..41]);
        zlib[41] ^= 0xFF;
        zlib[42] ^= 0xFF;
        string badZlib = Write("zlib.png", zlib);
        AssertOneLine(PredictImage(badZlib), 3, $"{badZlib}: not an image this program can read (the PNG file is cut short or damaged; the decoder says: bad zlib header).");

        // Not an image at all keeps the decoder's reason and the formats expected.
        string text = Write("text.png", "plain text"u8.ToArray());
        AssertOneLine(PredictImage(text), 3, $"{text}: not an image this program can read (PNG, JPEG or BMP expected; the decoder says: unknown image type).");
    }

    [Fact]
    public void A_cut_short_jpeg_is_refused_not_decoded_with_grey_and_its_cut_header_does_not_hang()
    {
        byte[] jpeg = Digit().ToJpeg();
        // FF D8 (start), FF E0 + length 16 (JFIF header): 10 bytes end inside that segment, where the decoder loops forever.
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 }, jpeg[..6]);
        string header = Write("header.jpg", jpeg[..10]);
        AssertOneLine(PredictImage(header), 3, $"{header}: not an image this program can read (the JPEG file is cut short: it ends inside its header, at byte 10).");

        // Cut in the scan data: the end-of-image marker FF D9 (the file's last two bytes) is missing.
        Assert.Equal(new byte[] { 0xFF, 0xD9 }, jpeg[^2..]);
        string half = Write("half.jpg", jpeg[..(jpeg.Length - 2)]);
        AssertOneLine(PredictImage(half), 3, $"{half}: not an image this program can read (the JPEG file is cut short: it ends before its end-of-image marker).");

        Assert.Equal(0, PredictImage(Write("whole.jpg", jpeg)).ExitCode);
    }

    [Fact]
    public void A_cut_short_bmp_is_refused_not_decoded_with_black()
    {
        // 64x48, 24 bits: rows of 64 * 3 = 192 bytes (already a multiple of 4) after the 54-byte headers.
        byte[] bmp = Digit().ToBmp();
        Assert.Equal(54 + (192 * 48), bmp.Length);
        string cut = Write("cut.bmp", bmp[..500]);
        AssertOneLine(PredictImage(cut), 3, $"{cut}: not an image this program can read (the BMP file is cut short: it has 500 bytes, its header describes 9270).");

        string header = Write("header.bmp", bmp[..30]);
        AssertOneLine(PredictImage(header), 3, $"{header}: not an image this program can read (the BMP file is cut short: it has 30 bytes, its header alone 54).");

        Assert.Equal(0, PredictImage(Write("whole.bmp", bmp)).ExitCode);
    }

    [Fact]
    public void The_web_apis_decoder_messages_come_from_the_same_place()
    {
        // The web API's PNG body goes through DigitImage.FromEncoded too; its name for the image is "the image".
        byte[] png = Digit().ToPng();
        var e = Assert.Throws<InvalidDataException>(() => DeepScratch.Data.DigitImage.FromEncoded(png[..500], "the image"));
        Assert.Equal("the image: not an image this program can read (the PNG file is cut short or damaged).", e.Message);
    }

    [Fact]
    public void A_required_option_left_out_is_named_with_its_value_and_one_without_a_value_needs_a_value()
    {
        string weights = TestData.Weights("sample_weight.pkl");
        AssertOneLine(CliRunner.Run(_dir, "export", "--weights", weights), 2, "export needs --onnx OUT.onnx (see 'deepscratch export --help').");
        AssertOneLine(CliRunner.Run(_dir, "export"), 2, "export needs --onnx OUT.onnx (see 'deepscratch export --help').");
        AssertOneLine(CliRunner.Run(_dir, "export", "--weights", weights, "--onnx"), 2, "--onnx needs a value (see 'deepscratch export --help').");
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("predict", "3")]
    [InlineData("predict", "--image", "IMAGE")]
    [InlineData("misclassified")]
    [InlineData("export", "--onnx", "out.onnx")]
    [InlineData("serve", "--port", "0")]
    public void A_missing_weights_file_named_in_the_data_folder_gets_that_path_as_a_hint(params string[] args)
    {
        string image = Write("one.png", Digit().ToPng());
        string[] command = [.. args.Select(a => a == "IMAGE" ? image : a), "--weights", "deep_convnet_params.pkl", "--data", TestData.Dir];
        string there = Path.Combine(TestData.Dir, "weights", "deep_convnet_params.pkl");
        Assert.True(File.Exists(there));
        AssertOneLine(CliRunner.Run(_dir, command), 3, $"--weights: file not found: deep_convnet_params.pkl; did you mean {there}?");
        Assert.False(File.Exists(Path.Combine(_dir, "out.onnx")));

        // A name the data folder does not hold keeps the plain line.
        command[^3] = "no_such_params.pkl";
        AssertOneLine(CliRunner.Run(_dir, command), 3, "--weights: file not found: no_such_params.pkl");
    }

    [Fact]
    public void Filters_hints_at_the_data_folder_of_deepscratch_data()
    {
        var environment = new Dictionary<string, string> { ["DEEPSCRATCH_DATA"] = TestData.Dir };
        string there = Path.Combine(TestData.Dir, "weights", "params.pkl");
        AssertOneLine(CliRunner.Run(_dir, environment, "filters", "--weights", "params.pkl"), 3, $"--weights: file not found: params.pkl; did you mean {there}?");
        Assert.False(File.Exists(Path.Combine(_dir, "filters.png")));
    }

    [Theory]
    [InlineData("seen.png")]
    [InlineData("seen")]
    [InlineData("seen-three.png.png")]
    public void Show_input_writes_exactly_the_path_given(string name)
    {
        string image = Write("three.png", Digit().ToPng());
        var r = CliRunner.Run(_dir, "predict", "--image", "three.png", "--show-input", name, "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Wrote {name} (the 28x28 input, 280x280 pixels)", r.Stdout);
        // Only the image and the one file named (plus the offline cache folder the runner points at).
        Assert.Equal(new[] { "three.png", name }.Order(StringComparer.Ordinal), Directory.EnumerateFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(_dir, name))[..4]);
        Assert.True(File.Exists(image));
    }

    [Fact]
    public void Export_to_any_file_name_says_the_path_it_wrote()
    {
        var r = CliRunner.Run(_dir, "export", "--weights", TestData.Weights("sample_weight.pkl"), "--onnx", "out.txt");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("Wrote out.txt: 784-50-100-10", r.Stdout);
        Assert.Equal(["out.txt"], Directory.EnumerateFiles(_dir).Select(Path.GetFileName));
    }
}
