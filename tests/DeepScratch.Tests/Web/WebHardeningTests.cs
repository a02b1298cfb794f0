using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DeepScratch.Data;
using DeepScratch.Tests.Images;
using DeepScratch.Web;

namespace DeepScratch.Tests.Web;

/// <summary>Runs alone: the allocation test counts every thread's bytes, so no other test may allocate meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WebAllocationCollection
{
    public const string Name = "Web allocation";
}

/// <summary>
/// The review fixes of the web API (issue 10 item 2 follow-up): a small PNG declaring a huge image is refused from its
/// header (413, the web limit named) without allocating its pixels; a foreign Host header (DNS rebinding) gets 400;
/// a JSON body in another charset 415; duplicate keys 400; ?model= with a JSON body 400; image bytes of another format
/// than the Content-Type 415; a streamed JSON body one byte over the limit 413 with the JSON limit's message.
/// </summary>
[Collection(WebAllocationCollection.Name)]
public sealed class WebHardeningTests : IAsyncLifetime
{
    private DigitServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await DigitServer.StartAsync(ServedModels.Load([TestData.Weights("sample_weight.pkl")]), 0);
        _client = new HttpClient { BaseAddress = _server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    /// <summary>A real, decodable 8-bit grey PNG of one shade, width x height: rows of filter 0 then the pixels, zlib-compressed (a solid shade compresses about 1000:1).</summary>
    private static byte[] SolidPng(int width, int height, byte shade)
    {
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            Array.Fill(row, shade, 1, width);
            for (int y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        return Canvas.Png(ihdr, raw.ToArray());
    }

    private Task<(int Status, System.Text.Json.JsonElement Body)> Post(string path, HttpContent content) =>
        WebServerFixture.Send(_client, new HttpRequestMessage(HttpMethod.Post, path) { Content = content });

    private static string Pixels(string? extra = null) =>
        "{\"pixels\": [1, " + string.Join(", ", Enumerable.Repeat("0", 783)) + "]" + extra + "}"; // one inked pixel: a blank canvas gets 422

    [Fact]
    public async Task A_small_png_declaring_7000x7000_gets_413_from_its_header_without_its_pixels_being_allocated()
    {
        byte[] png = SolidPng(7000, 7000, 255);
        Assert.True(png.Length < 100_000, $"{png.Length} bytes");
        // Warm up the path (JIT, connection) so the count below is the request's own.
        var (status, _) = await Post("/api/predict", WebServerFixture.Body(new Canvas(50, 50, 255).Stroke(0, 3, (10, 10), (40, 40)).ToPng(), "image/png"));
        Assert.Equal(200, status);

        long before = GC.GetTotalAllocatedBytes(precise: true);
        var (status2, body) = await Post("/api/predict", WebServerFixture.Body(png, "image/png"));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(413, status2);
        Assert.Equal("the image is 7000x7000 pixels, more than the 4 megapixels accepted (the page sends 280x280); scale it down first.", body.GetProperty("error").GetString());
        // Decoding would take 7000 x 7000 x 2 bytes (grey + alpha) = 98 MB before any preparation.
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void The_library_takes_a_smaller_pixel_limit_and_keeps_50_megapixels_by_default()
    {
        byte[] png = SolidPng(2001, 2000, 0);
        var e = Assert.Throws<InvalidDataException>(() => DigitImage.FromEncoded(png, "big.png", 4_000_000));
        Assert.Equal("big.png: the image is 2001x2000 pixels, more than the 4 megapixels accepted; scale it down first.", e.Message);
        // Under the default 50 MP it is decoded, and found empty (one shade).
        Assert.Throws<EmptyDigitImageException>(() => DigitImage.FromEncoded(png, "big.png"));
        Assert.Throws<ArgumentOutOfRangeException>(() => DigitImage.FromEncoded(png, "big.png", 0));
        Assert.True(DigitImage.TryReadSize(png, out int w, out int h));
        Assert.Equal((2001, 2000), (w, h));
        Assert.False(DigitImage.TryReadSize("not a picture"u8.ToArray(), out _, out _));
    }

    [Fact]
    public void Image_formats_are_known_by_their_magic_bytes()
    {
        Assert.Equal(["image/png", "image/jpeg", "image/bmp"], DigitImage.Formats.Select(f => f.MimeType));
        Assert.Equal("PNG, JPEG or BMP", DigitImage.FormatNames);
        Assert.Equal("PNG", DigitImage.IdentifyFormat(SolidPng(2, 2, 0))?.Name);
        var canvas = new Canvas(20, 20, 255).Stroke(0, 2, (5, 5), (15, 15));
        Assert.Equal("JPEG", DigitImage.IdentifyFormat(canvas.ToJpeg())?.Name);
        Assert.Equal("BMP", DigitImage.IdentifyFormat(canvas.ToBmp())?.Name);
        Assert.Null(DigitImage.IdentifyFormat("GIF89a"u8));
        Assert.Null(DigitImage.IdentifyFormat([0x89, (byte)'P']));
        Assert.Equal(DigitImage.Formats.Select(f => f.MimeType), DigitServer.ImageTypes);
    }

    [Fact]
    public async Task A_foreign_host_header_gets_400()
    {
        int port = _server.Address.Port;
        foreach (string host in (string[])["evil.example", $"evil.example:{port}", "127.0.0.1:1", $"127.0.0.2:{port}"])
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
            request.Headers.Host = host;
            var (status, body) = await WebServerFixture.Send(_client, request);
            Assert.Equal(400, status);
            Assert.Equal($"the Host header must be 127.0.0.1:{port} or localhost:{port}; got '{host}'.", body.GetProperty("error").GetString());
        }

        foreach (string host in (string[])[$"localhost:{port}", $"LOCALHOST:{port}", $"127.0.0.1:{port}"])
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
            request.Headers.Host = host;
            var (status, _) = await WebServerFixture.Send(_client, request);
            Assert.Equal(200, status);
        }
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("iso-8859-1")]
    public async Task A_json_body_in_another_charset_gets_415(string charset)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Pixels()));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"application/json; charset={charset}");
        var (status, body) = await Post("/api/predict", content);
        Assert.Equal(415, status);
        Assert.Equal($"the JSON body must be UTF-8 (charset=utf-8 or none); got charset={charset}.", body.GetProperty("error").GetString());

        content = new ByteArrayContent(Encoding.UTF8.GetBytes(Pixels()));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        (status, _) = await Post("/api/predict", content);
        Assert.Equal(200, status);
        content = new ByteArrayContent(Encoding.UTF8.GetBytes(Pixels()));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=\"utf-8\"");
        (status, _) = await Post("/api/predict", content);
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Duplicate_keys_and_model_in_the_query_of_a_json_body_get_400()
    {
        var (status, body) = await Post("/api/predict", WebServerFixture.Json(Pixels(", \"pixels\": []")));
        Assert.Equal(400, status);
        Assert.Equal("the body gives \"pixels\" more than once.", body.GetProperty("error").GetString());
        (status, body) = await Post("/api/predict", WebServerFixture.Json(Pixels(", \"model\": \"sample_weight\", \"model\": \"other\"")));
        Assert.Equal(400, status);
        Assert.Equal("the body gives \"model\" more than once.", body.GetProperty("error").GetString());
        (status, body) = await Post("/api/predict?model=sample_weight", WebServerFixture.Json(Pixels()));
        Assert.Equal(400, status);
        Assert.Equal("?model= is for image bodies; a JSON body names its network as \"model\".", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Image_bytes_of_another_format_than_the_content_type_get_415()
    {
        var canvas = new Canvas(50, 50, 255).Stroke(0, 3, (10, 10), (40, 40));
        byte[] gif = [.. "GIF89a"u8, 1, 0, 1, 0, 0, 0, 0, 0x3B];
        var (status, body) = await Post("/api/predict", WebServerFixture.Body(gif, "image/png"));
        Assert.Equal(415, status);
        Assert.Equal("the body is not a PNG, JPEG or BMP image but Content-Type says image/png.", body.GetProperty("error").GetString());
        (status, body) = await Post("/api/predict", WebServerFixture.Body(canvas.ToPng(), "image/jpeg"));
        Assert.Equal(415, status);
        Assert.Equal("the body is a PNG image but Content-Type says image/jpeg.", body.GetProperty("error").GetString());
        (status, _) = await Post("/api/predict", WebServerFixture.Body(canvas.ToBmp(), "image/bmp"));
        Assert.Equal(200, status);
        (status, _) = await Post("/api/predict", WebServerFixture.Body(canvas.ToJpeg(), "image/jpeg"));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task A_streamed_json_body_one_byte_over_the_limit_gets_413_with_the_json_limit()
    {
        var bytes = new byte[DigitServer.MaxJsonBytes + 1];
        Array.Fill(bytes, (byte)' ');
        var streamed = new StreamContent(new MemoryStream(bytes));
        streamed.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        var (status, body) = await WebServerFixture.Send(_client, request);
        Assert.Equal(413, status);
        Assert.Equal($"the body is larger than the {1 << 20} bytes accepted for application/json.", body.GetProperty("error").GetString());
    }

    [Fact]
    public void The_server_listens_on_127_0_0_1_only()
    {
        Assert.Equal([$"http://127.0.0.1:{_server.Address.Port}"], _server.ListenAddresses);
    }
}
