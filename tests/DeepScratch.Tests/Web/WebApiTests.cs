using System.Net;
using System.Text;
using System.Text.Json;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tests.Images;
using DeepScratch.Tests.Models;
using DeepScratch.Web;

namespace DeepScratch.Tests.Web;

/// <summary>
/// The JSON API of <c>deepscratch serve</c> against the book's three networks: the model list, predictions on real
/// MNIST test images equal to the layer-by-layer prediction of the same file loaded separately (and to numpy's for
/// the chapter 3 MLP), drawn PNG digits, every refused request with its exact status and message, garbage that must
/// never produce a 500, and concurrent requests that must each get the single-threaded answer.
/// </summary>
public sealed class WebApiTests(WebServerFixture server) : IClassFixture<WebServerFixture>
{
    private const int Images = 100;

    [Fact]
    public async Task The_model_list_names_the_book_networks_most_accurate_first()
    {
        var (status, body) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(HttpMethod.Get, "/api/models"));
        Assert.Equal(200, status);
        Assert.Equal(["deep_convnet_params", "params", "sample_weight"], body.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("deep_convnet_params", body.GetProperty("default").GetString());
        Assert.Equal(3, body.GetProperty("descriptions").GetArrayLength());
        Assert.StartsWith("784-50-100-10", body.GetProperty("descriptions")[2].GetString());
    }

    [Theory]
    [InlineData("deep_convnet_params.pkl", 99, 1e-5)]
    [InlineData("params.pkl", 98, 1e-5)]
    [InlineData("sample_weight.pkl", 95, 1e-6)]
    public async Task Json_pixels_of_real_test_images_get_the_networks_own_probabilities(string file, int leastCorrect, double tolerance)
    {
        // tolerance: the engine sums the CNNs' convolutions in another order (Winograd tiles), within IClassifier.CreatePredictor's 1e-5.
        // The oracle: the same file loaded on its own and run layer by layer (not the engine the server uses).
        var reference = ModelFile.Load(TestData.Weights(file));
        var (images, labels) = WebServerFixture.TestImages(Images);
        string name = Path.GetFileNameWithoutExtension(file);
        int[] numpy = BookReference.Predictions();
        int correct = 0;
        for (int i = 0; i < Images; i++)
        {
            var x = WebServerFixture.Normalised(images[i]);
            var (status, body) = await server.Post("/api/predict", WebServerFixture.Json(WebServerFixture.PixelsJson(x, name)));
            Assert.True(status == 200, body.ToString());
            Assert.Equal(name, body.GetProperty("model").GetString());
            Assert.False(body.TryGetProperty("input", out _));
            var p = body.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var expected = reference.Predict(new Tensor([.. x.Select(v => (float)v)], [1, .. reference.InputShape])).Span.ToArray();
            Assert.Equal(10, p.Length);
            for (int c = 0; c < 10; c++)
            {
                Assert.True(Math.Abs(p[c] - expected[c]) <= tolerance, $"image {i}, class {c}: {p[c]} vs {expected[c]}");
            }

            int predicted = body.GetProperty("predicted").GetInt32();
            Assert.Equal(Array.IndexOf(expected, expected.Max()), predicted);
            if (file == "sample_weight.pkl")
            {
                Assert.Equal(numpy[i], predicted);
            }

            correct += predicted == labels[i] ? 1 : 0;
        }

        Assert.True(correct >= leastCorrect, $"{name}: {correct} of {Images} correct");
    }

    [Fact]
    public async Task The_first_test_image_gets_numpys_probabilities_from_the_chapter_3_network()
    {
        var (images, _) = WebServerFixture.TestImages(1);
        var (status, body) = await server.Post("/api/predict", WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[0]), "sample_weight")));
        Assert.Equal(200, status);
        var p = body.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int c = 0; c < 10; c++)
        {
            Assert.True(Math.Abs(p[c] - BookReference.FirstImageProbabilities[c]) <= 1e-6, $"class {c}: {p[c]} vs numpy {BookReference.FirstImageProbabilities[c]}");
        }

        Assert.Equal(7, body.GetProperty("predicted").GetInt32());
    }

    /// <summary>Digits drawn dark on light paper by the tests' own canvas (as a photo or a drawing program gives them).</summary>
    public static TheoryData<string, int, string> DrawnDigits => new()
    {
        { "one", 1, "image/png" },
        { "seven", 7, "image/png" },
        { "zero", 0, "image/png" },
        { "seven", 7, "image/bmp" },
        { "zero", 0, "image/jpeg" },
    };

    internal static Canvas Drawn(string digit) => digit switch
    {
        "one" => new Canvas(300, 240, 250).Stroke(15, 9, (190, 50), (210, 30), (210, 210)),
        "seven" => new Canvas(240, 240, 255).Stroke(0, 9, (50, 50), (180, 50), (100, 200)),
        "zero" => new Canvas(240, 240, 255).Ellipse(0, 9, 120, 120, 55, 85),
        _ => throw new ArgumentOutOfRangeException(nameof(digit)),
    };

    [Theory]
    [MemberData(nameof(DrawnDigits))]
    public async Task An_image_body_is_prepared_as_predict_image_does_and_read_correctly(string digit, int expected, string type)
    {
        var canvas = Drawn(digit);
        byte[] bytes = type switch { "image/png" => canvas.ToPng(), "image/bmp" => canvas.ToBmp(), _ => canvas.ToJpeg() };
        foreach (string model in new[] { "deep_convnet_params", "params" })
        {
            var (status, body) = await server.Post($"/api/predict?model={model}", WebServerFixture.Body(bytes, type));
            Assert.True(status == 200, body.ToString());
            Assert.Equal(model, body.GetProperty("model").GetString());
            Assert.Equal(expected, body.GetProperty("predicted").GetInt32());
            // The input the network saw: exactly predict --image's (DigitImage.FromEncoded) for the same file.
            var input = body.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(DigitImage.FromEncoded(bytes, "drawn").Pixels, input);
            Assert.Equal(1f, input.Max());
            var p = body.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(1.0, p.Sum(), 4);
        }
    }

    [Fact]
    public async Task Without_a_model_the_default_network_answers_and_the_query_names_another()
    {
        byte[] png = Drawn("seven").ToPng();
        var (_, byDefault) = await server.Post("/api/predict", WebServerFixture.Body(png, "image/png"));
        Assert.Equal("deep_convnet_params", byDefault.GetProperty("model").GetString());
        var (_, named) = await server.Post("/api/predict?model=sample_weight", WebServerFixture.Body(png, "image/png"));
        Assert.Equal("sample_weight", named.GetProperty("model").GetString());
        var (images, _) = WebServerFixture.TestImages(1);
        var pixels = WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[0]));
        var (_, nullModel) = await server.Post("/api/predict", WebServerFixture.Json(pixels.Replace("]}", "], \"model\": null}")));
        Assert.Equal("deep_convnet_params", nullModel.GetProperty("model").GetString());
    }

    private static string Pixels(int count, string value = "0") => $"{{\"pixels\": [{string.Join(", ", Enumerable.Repeat(value, count))}]}}";

    private static string Row(int count) => $"[{string.Join(", ", Enumerable.Repeat("0", count))}]";

    /// <summary>28 rows of 28 zeros but <paramref name="value"/> at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    private static string Rows(int row, int column, string value) =>
        "{\"pixels\": [" + string.Join(", ", Enumerable.Range(0, 28).Select(r =>
            $"[{string.Join(", ", Enumerable.Range(0, 28).Select(c => r == row && c == column ? value : "0"))}]")) + "]}";

    private static string PixelsWith(int index, string value) =>
        $"{{\"pixels\": [{string.Join(", ", Enumerable.Range(0, 784).Select(i => i == index ? value : "0"))}]}}";

    /// <summary>Every refused JSON request: its exact status and line.</summary>
    public static TheoryData<string, string, int, string> RefusedJson => new()
    {
        { "785 numbers", Pixels(785), 400, "\"pixels\" must hold 784 numbers (28x28, row by row); got 785." },
        { "783 numbers", Pixels(783), 400, "\"pixels\" must hold 784 numbers (28x28, row by row); got 783." },
        { "no numbers", Pixels(0), 400, "\"pixels\" must hold 784 numbers (28x28, row by row); got 0." },
        { "a string pixel", PixelsWith(5, "\"0.5\""), 400, "pixels[5] must be a number in [0, 1]; got a string." },
        { "a nested array", PixelsWith(783, "[0]"), 400, "pixels[783] must be a number in [0, 1]; got an array." },
        { "null pixel", PixelsWith(0, "null"), 400, "pixels[0] must be a number in [0, 1]; got null." },
        { "above 1", PixelsWith(10, "1.5"), 400, "pixels[10] is 1.5, outside [0, 1]." },
        { "below 0", PixelsWith(11, "-0.001"), 400, "pixels[11] is -0.001, outside [0, 1]." },
        { "huge", PixelsWith(12, "1e400"), 400, "pixels[12] is not a finite number: 1e400." },
        { "NaN", PixelsWith(13, "NaN"), 400, "pixels[13] is not a finite number: NaN (JSON has no NaN; send numbers in [0, 1])." },
        { "Infinity", PixelsWith(0, "Infinity"), 400, "pixels[0] is not a finite number: Infinity (JSON has no Infinity; send numbers in [0, 1])." },
        { "-Infinity", PixelsWith(783, "-Infinity"), 400, "pixels[783] is not a finite number: -Infinity (JSON has no -Infinity; send numbers in [0, 1])." },
        { "NaN as the model", Pixels(784).Replace("]}", "], \"model\": NaN}"), 400,
            $"the body is not valid JSON at byte {Pixels(784).Length + 10}: NaN is not a JSON number (JSON has no NaN or Infinity)." },
        { "NaN in a row", Rows(2, 5, "NaN"), 400, "pixels[2][5] is not a finite number: NaN (JSON has no NaN; send numbers in [0, 1])." },
        { "a syntax error", "{\"pixels\": [0,, 0]}", 400, "the body is not valid JSON at byte 14: ',' is an invalid start of a value." },
        { "a syntax error on line 3", "{\n\"pixels\":\n [0, x]}", 400, "the body is not valid JSON at byte 17: 'x' is an invalid start of a value." },
        { "too deep", "{\"pixels\": [[[[0]]]]}", 400, "the body nests arrays or objects too deeply (expected {\"pixels\": [784 numbers], \"model\": \"name\"})." },
        { "too deep elsewhere", "{\"model\": {\"a\": {\"b\": {\"c\": {\"d\": 1}}}}}", 400, "the body nests arrays or objects too deeply (expected {\"pixels\": [784 numbers], \"model\": \"name\"})." },
        { "27 rows", "{\"pixels\": [" + string.Join(", ", Enumerable.Repeat(Row(28), 27)) + "]}", 400,
            "\"pixels\" must be a flat array of 784 numbers or 28 rows of 28 numbers; got 27 rows." },
        { "a short row", "{\"pixels\": [" + string.Join(", ", Enumerable.Range(0, 28).Select(r => Row(r == 4 ? 27 : 28))) + "]}", 400,
            "pixels[4] must hold 28 numbers (one row of the 28x28 image); got 27." },
        { "a number among rows", "{\"pixels\": [" + string.Join(", ", Enumerable.Range(0, 28).Select(r => r == 3 ? "0" : Row(28))) + "]}", 400,
            "pixels[3] must be a row of 28 numbers like pixels[0]; got a number." },
        { "above 1 in a row", Rows(1, 2, "2"), 400, "pixels[1][2] is 2, outside [0, 1]." },
        { "all zero: a blank canvas", Pixels(784), 422,
            "the pixels: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels)." },
        { "all one shade", Pixels(784, "0.5"), 422,
            "the pixels: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels)." },
        { "all zero as rows", Rows(0, 0, "0"), 422,
            "the pixels: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels)." },
        { "pixels a string", "{\"pixels\": \"0,0,0\"}", 400, "\"pixels\" must be an array of 784 numbers in [0, 1]; got a string." },
        { "no pixels", "{\"model\": \"params\"}", 400, "the body has no \"pixels\": give the 784 numbers in [0, 1] of the 28x28 image, row by row." },
        { "an array body", "[0, 0]", 400, "the body must be a JSON object {\"pixels\": [784 numbers in [0, 1]], \"model\": \"name\"}; got an array." },
        { "truncated", "{\"pixels\": [0, 0", 400, "the body is not valid JSON at byte 16: it ends before the JSON is complete (an array, object or string is not closed)." },
        { "only spaces", "   ", 400, "the body is not valid JSON at byte 3: it ends before the JSON is complete (an array, object or string is not closed)." },
        { "underflow is zero, not an error", PixelsWith(0, "1").Replace(" 0,", " -1e-400,"), 200, "" },
        { "empty", "", 400, "the body is empty: send {\"pixels\": [784 numbers in [0, 1]], \"model\": \"name\"}." },
        { "model a number", Pixels(784).Replace("]}", "], \"model\": 3}"), 400, "\"model\" must be a string (a name from GET /api/models); got a number." },
        { "unknown model", Pixels(784).Replace("]}", "], \"model\": \"lenet\"}"), 404, "unknown model 'lenet': the models are deep_convnet_params, params, sample_weight." },
    };

    [Theory]
    [MemberData(nameof(RefusedJson))]
    public async Task A_bad_json_request_gets_its_status_and_one_line(string what, string body, int status, string error)
    {
        var (got, answer) = await server.Post("/api/predict", WebServerFixture.Json(body));
        Assert.True(got == status, $"{what}: {got} {answer}");
        if (status != 200)
        {
            Assert.Equal(error, answer.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Pixels_as_28_rows_of_28_get_the_same_answer_as_the_flat_array()
    {
        // numpy's x.reshape(28, 28).tolist(): the flat array's numbers, row by row.
        var (images, labels) = WebServerFixture.TestImages(3);
        foreach (var image in images)
        {
            var x = WebServerFixture.Normalised(image);
            string flat = WebServerFixture.PixelsJson(x, "params");
            string rows = "{\"pixels\": [" + string.Join(", ", x.Chunk(28).Select(r => "[" + string.Join(", ", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]"))
                + "], \"model\": \"params\"}";
            var (s1, a1) = await server.Post("/api/predict", WebServerFixture.Json(flat));
            var (s2, a2) = await server.Post("/api/predict", WebServerFixture.Json(rows));
            Assert.Equal((200, 200), (s1, s2));
            Assert.Equal(a1.GetProperty("predicted").GetInt32(), a2.GetProperty("predicted").GetInt32());
            Assert.Equal(a1.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()), a2.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()));
        }

        Assert.Equal(labels.Length, images.Length);
    }

    [Fact]
    public async Task A_blank_json_canvas_and_a_blank_image_get_422_in_the_same_words()
    {
        var (s1, image) = await server.Post("/api/predict", WebServerFixture.Body(new Canvas(100, 100, 255).ToPng(), "image/png"));
        var (s2, json) = await server.Post("/api/predict", WebServerFixture.Json(Pixels(784)));
        Assert.Equal((422, 422), (s1, s2));
        string imageError = image.GetProperty("error").GetString()!, jsonError = json.GetProperty("error").GetString()!;
        Assert.StartsWith("the image: ", imageError);
        Assert.StartsWith("the pixels: ", jsonError);
        Assert.Equal(imageError["the image: ".Length..], jsonError["the pixels: ".Length..]);
    }

    [Fact]
    public async Task Mnist_answers_label_the_digit_and_the_model_list_names_the_dataset()
    {
        var (_, models) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(HttpMethod.Get, "/api/models"));
        Assert.Equal(["mnist", "mnist", "mnist"], models.GetProperty("datasets").EnumerateArray().Select(e => e.GetString()));
        var (images, labels) = WebServerFixture.TestImages(1);
        var (status, body) = await server.Post("/api/predict", WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[0]), "params")));
        Assert.Equal(200, status);
        // The first MNIST test image is a 7, which the chapter 7 CNN reads.
        Assert.Equal(7, labels[0]);
        Assert.Equal(7, body.GetProperty("predicted").GetInt32());
        Assert.Equal("7", body.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Wrong_content_types_get_415()
    {
        var (status, body) = await server.Post("/api/predict", WebServerFixture.Body(Encoding.UTF8.GetBytes(Pixels(784)), "text/plain"));
        Assert.Equal(415, status);
        Assert.Equal("Content-Type must be application/json (a body {\"pixels\": [784 numbers]}) or an image (image/png, image/jpeg, image/bmp); got 'text/plain'.", body.GetProperty("error").GetString());
        (status, body) = await server.Post("/api/predict", WebServerFixture.Body(Encoding.UTF8.GetBytes(Pixels(784)), null));
        Assert.Equal(415, status);
        Assert.EndsWith("; got none.", body.GetProperty("error").GetString());
        (status, _) = await server.Post("/api/predict", WebServerFixture.Body([1, 2, 3], "image/gif"));
        Assert.Equal(415, status);
    }

    [Fact]
    public async Task A_jpeg_header_followed_by_no_marker_gets_400_instead_of_holding_a_server_thread_forever()
    {
        // The fuzz harness found that the header reader (TryReadSize, which the server calls on every image body)
        // looped forever on SOI + APP0 followed by bytes without 0xFF.
        byte[] jpeg = new Canvas(40, 40, 255).Stroke(0, 3, (10, 10), (30, 30)).ToJpeg();

        var (status, body) = await server.Post("/api/predict", WebServerFixture.Body(DeepScratch.Tests.Images.DigitImageTests.JunkAfterHeader(jpeg), "image/jpeg"));

        Assert.Equal(400, status);
        Assert.Equal("the image: not an image this program can read (the JPEG file is cut short: it ends inside its header, at byte 144).", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_images_get_400_and_an_image_without_ink_422()
    {
        var (status, body) = await server.Post("/api/predict", WebServerFixture.Body(new Canvas(100, 100, 255).ToPng(), "image/png"));
        Assert.Equal(422, status);
        Assert.Equal("the image: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels).", body.GetProperty("error").GetString());

        (status, body) = await server.Post("/api/predict", WebServerFixture.Body(Encoding.ASCII.GetBytes("not a picture"), "image/png"));
        Assert.Equal(400, status);
        Assert.StartsWith("the image: not an image this program can read (PNG, JPEG or BMP expected; the decoder says: ", body.GetProperty("error").GetString());

        byte[] png = Drawn("one").ToPng();
        (status, body) = await server.Post("/api/predict", WebServerFixture.Body(png[..(png.Length / 2)], "image/png"));
        Assert.Equal(400, status);
        Assert.StartsWith("the image: not an image this program can read", body.GetProperty("error").GetString());

        (status, body) = await server.Post("/api/predict", WebServerFixture.Body([], "image/png"));
        Assert.Equal(400, status);
        Assert.Equal("the body is empty: send the image file's bytes.", body.GetProperty("error").GetString());

        (status, body) = await server.Post("/api/predict?model=nope", WebServerFixture.Body(png, "image/png"));
        Assert.Equal(404, status);
        Assert.Equal("unknown model 'nope': the models are deep_convnet_params, params, sample_weight.", body.GetProperty("error").GetString());

        (status, body) = await server.Post("/api/predict?model=params&model=sample_weight", WebServerFixture.Body(png, "image/png"));
        Assert.Equal(400, status);
        Assert.Equal("give ?model= once.", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Oversized_bodies_get_413_whether_announced_or_streamed()
    {
        // Announced: Content-Length over the JSON limit (1 MiB) is refused before the body is read.
        // (One inked pixel: a blank canvas gets 422.)
        string inked = PixelsWith(0, "1");
        var json = new string(' ', DigitServer.MaxJsonBytes - inked.Length + 1) + inked;
        var (status, body) = await server.Post("/api/predict", WebServerFixture.Json(json));
        Assert.Equal(413, status);
        Assert.Equal($"the body is larger than the {1 << 20} bytes accepted for application/json.", body.GetProperty("error").GetString());
        // Exactly at the limit it is read (and answered).
        (status, _) = await server.Post("/api/predict", WebServerFixture.Json(json[1..]));
        Assert.Equal(200, status);

        // Streamed: chunked, so no Content-Length; counted while reading.
        var image = new byte[DigitServer.MaxImageBytes + 1];
        var streamed = new StreamContent(new MemoryStream(image));
        streamed.Headers.ContentType = new("image/png");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        (status, body) = await WebServerFixture.Send(server.Client, request);
        Assert.Equal(413, status);
        Assert.Equal($"the body is larger than the {8 << 20} bytes accepted for image/png.", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Wrong_methods_and_paths_get_405_and_404_with_a_json_error()
    {
        var (status, body) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(HttpMethod.Get, "/api/predict"));
        Assert.Equal(405, status);
        Assert.Equal("GET is not allowed on /api/predict (allowed: POST).", body.GetProperty("error").GetString());
        (status, body) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(HttpMethod.Post, "/api/models"));
        Assert.Equal(405, status);
        Assert.Equal("POST is not allowed on /api/models (allowed: GET).", body.GetProperty("error").GetString());
        (status, body) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(HttpMethod.Get, "/api/nothing"));
        Assert.Equal(404, status);
        Assert.Equal("no such page: /api/nothing (the API is GET /api/models and POST /api/predict).", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_page_and_its_script_and_style_are_served_from_the_assembly()
    {
        foreach (var (path, type, marker) in new[] { ("/", "text/html", "id=\"pad\""), ("/app.js", "text/javascript", "/api/predict"), ("/app.css", "text/css", "#pad") })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(marker, await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Garbage of every kind at every endpoint and method: always a 4xx with a JSON error, never a 500.</summary>
    [Fact]
    public async Task Garbage_never_gets_a_500()
    {
        var random = new Random(10);
        var bodies = new List<(byte[] Body, string? Type)>();
        for (int i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(0, 3000)];
            random.NextBytes(bytes);
            foreach (string? type in new[] { "application/json", "image/png", "image/jpeg", "image/bmp", null, "application/json; charset=utf-16" })
            {
                bodies.Add((bytes, type));
            }
        }

        string full = Pixels(784);
        string[] texts =
        [
            "{", "}", "[", "null", "true", "0", "\"pixels\"", "{\"pixels\": null}", "{\"pixels\": {}}", "{\"pixels\": [[[[[[[[[[0]]]]]]]]]]}",
            "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("1e308", 784)) + "]}",
            "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("99999999999999999999999999999999999999999", 784)) + "]}",
            "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("\"x\"", 784)) + "]}",
            "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("true", 784)) + "]}",
            full[..^3], full + "garbage", full.Replace("]}", "], \"model\": {\"a\": 1}}"), full.Replace("]}", "], \"model\": \"\"}"),
            full.Replace("]}", "], \"model\": \"" + new string('m', 5000) + "\"}"), "\uFEFF" + full[1..], "{\"pixels\": [0,,0]}", "{'pixels': [0]}",
            new string('[', 10000), "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("0", 200000)) + "]}",
        ];
        foreach (string text in texts)
        {
            bodies.Add((Encoding.UTF8.GetBytes(text), "application/json"));
            bodies.Add((Encoding.UTF8.GetBytes(text), "image/png"));
        }

        byte[] png = Drawn("one").ToPng();
        for (int cut = 8; cut < png.Length; cut += 97)
        {
            bodies.Add((png[..cut], "image/png"));
        }

        var corrupt = (byte[])png.Clone();
        for (int i = 40; i < corrupt.Length; i += 13)
        {
            corrupt[i] ^= 0x5A;
        }

        bodies.Add((corrupt, "image/png"));
        foreach (var (bytes, type) in bodies)
        {
            foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/predict"), (HttpMethod.Post, "/api/predict?model=%00%ff"), (HttpMethod.Put, "/api/predict"), (HttpMethod.Post, "/"), (HttpMethod.Delete, "/api/models") })
            {
                var (status, body) = await WebServerFixture.Send(server.Client, new HttpRequestMessage(method, path) { Content = WebServerFixture.Body(bytes, type) });
                Assert.True(status is >= 400 and < 500, $"{method} {path} {type} ({bytes.Length} bytes): {status} {body}");
                Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
            }
        }
    }

    /// <summary>64 requests at once, over the three networks and both body kinds: each gets the answer it gets alone.</summary>
    [Fact]
    public async Task Concurrent_requests_each_get_the_single_threaded_answer()
    {
        var (images, _) = WebServerFixture.TestImages(48);
        string[] models = ["deep_convnet_params", "params", "sample_weight"];
        var requests = new List<Func<HttpContent>>();
        var names = new List<string>();
        for (int i = 0; i < 64; i++)
        {
            string model = models[i % 3];
            int index = i;
            names.Add(model);
            requests.Add(i < 48
                ? () => WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[index]), model))
                : () => WebServerFixture.Body(Drawn(new[] { "one", "seven", "zero" }[index % 3]).ToPng(), "image/png"));
        }

        string Path(int i) => i < 48 ? "/api/predict" : $"/api/predict?model={names[i]}";
        var alone = new List<string>();
        for (int i = 0; i < requests.Count; i++)
        {
            var (status, body) = await server.Post(Path(i), requests[i]());
            Assert.Equal(200, status);
            alone.Add(body.GetRawText());
        }

        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, requests.Count).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await server.Post(Path(i), requests[i]());
        })).ToArray();
        start.Set();
        var together = await Task.WhenAll(tasks);
        for (int i = 0; i < requests.Count; i++)
        {
            Assert.Equal(200, together[i].Status);
            Assert.Equal(names[i], together[i].Body.GetProperty("model").GetString());
            Assert.Equal(alone[i], together[i].Body.GetRawText());
        }
    }
}
