using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace DeepScratch.Tests.Web;

/// <summary>
/// The draw-a-digit page in a real browser: Debian's Chromium, headless, driven by Playwright (its bundled node
/// driver, offline; no browser download). Mouse strokes of several digits on the canvas must make the page show the
/// intended digit, ten bars summing to 1 and a non-empty 28x28 preview; Clear must clear; the network selector must
/// change the network that answers. A screenshot is saved (to docs/images/serve.png with DEEPSCRATCH_UPDATE_SCREENSHOT=1).
/// </summary>
public sealed partial class BrowserTests(WebServerFixture server) : IClassFixture<WebServerFixture>
{
    /// <summary>Chromium's switches for a machine without network: without them it stalls on background requests.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Strokes of each digit as polylines in the 280x280 canvas's pixels, drawn as a person would, one stroke a polyline.</summary>
    private static readonly (int Digit, (double X, double Y)[][] Strokes)[] Digits =
    [
        (1, [[(125, 75), (150, 50), (150, 230)]]),
        (0, [Ellipse(140, 140, 62, 88)]),
        (7, [[(75, 60), (205, 60), (180, 110), (125, 230)]]),
        (3, [[(85, 70), (130, 45), (185, 65), (180, 115), (130, 135), (185, 160), (190, 210), (135, 235), (80, 215)]]),
        (4, [[(165, 45), (75, 165), (215, 165)], [(170, 95), (170, 240)]]),
    ];

    private static (double X, double Y)[] Ellipse(double cx, double cy, double rx, double ry) =>
        [.. Enumerable.Range(0, 41).Select(i => (cx + (rx * Math.Sin(i * Math.PI / 20)), cy - (ry * Math.Cos(i * Math.PI / 20))))];

    private static Task<IBrowser> Launch(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumFactAttribute.Executable,
        Headless = true,
        Args = ChromiumArgs,
        Timeout = 60_000,
    });

    private async Task<IPage> Open(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(server.Server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready='true']");
        return page;
    }

    [ChromiumFact]
    public async Task Drawing_digits_on_the_page_shows_the_digit_the_bars_and_the_input()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 540 } });
        var page = await Open(context);
        Assert.Equal(["deep_convnet_params", "params", "sample_weight"], await page.EvalOnSelectorAllAsync<string[]>("#model option", "os => os.map(o => o.value)"));
        Assert.Equal("deep_convnet_params", await page.InputValueAsync("#model"));

        foreach (var (digit, strokes) in Digits)
        {
            await Draw(page, strokes);
            var (predicted, model, p) = await Answer(page);
            Assert.True(predicted == digit, $"drew {digit}, the page says {predicted}: p = [{string.Join(", ", p.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture)))}]");
            Assert.Equal("deep_convnet_params", model);
            Assert.Equal(10, p.Length);
            Assert.True(Math.Abs(p.Sum() - 1) <= 1e-3, $"the bars sum to {p.Sum()}");
            Assert.Equal(digit, Array.IndexOf(p, p.Max()));
            Assert.True(await PreviewInk(page) > 0, "the 28x28 preview is empty");
            await AssertBarsDrawn(page, p);
            if (digit == 3)
            {
                await Screenshot(page);
            }

            // Another network answers the same drawing when chosen.
            if (digit == 7)
            {
                // The count is read before the change: the answer may come before SelectOptionAsync returns.
                int answered = await Answers(page);
                await page.SelectOptionAsync("#model", "params");
                await WaitIdle(page, answered);
                var (again, other, _) = await Answer(page);
                Assert.Equal("params", other);
                Assert.Equal(7, again);
                answered = await Answers(page);
                await page.SelectOptionAsync("#model", "deep_convnet_params");
                await WaitIdle(page, answered);
                Assert.Equal("deep_convnet_params", (await Answer(page)).Model);
            }

            await page.ClickAsync("#clear");
            Assert.Equal("–", await page.TextContentAsync("#predicted"));
            Assert.All(await page.EvalOnSelectorAllAsync<string[]>(".bar", "bs => bs.map(b => b.dataset.p)"), v => Assert.Equal("0", v));
            Assert.Equal(0, await page.EvalOnSelectorAsync<int>("#pad", InkScript));
            Assert.Equal(0, await PreviewInk(page));
        }
    }

    /// <summary>A finger on a touch screen (Chrome DevTools touch events, which the page receives as pointer events of type touch).</summary>
    [ChromiumFact]
    public async Task Drawing_with_a_finger_works_as_with_the_mouse()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        await using var context = await browser.NewContextAsync(TouchScreen);
        var page = await Open(context);
        var cdp = await context.NewCDPSessionAsync(page);
        int before = await Answers(page);
        var box = await page.Locator("#pad").BoundingBoxAsync() ?? throw new InvalidOperationException("no #pad");
        double scale = box.Width / 280;
        var stroke = Digits.Single(d => d.Digit == 7).Strokes[0];
        var points = FingerPath(stroke);
        for (int i = 0; i < points.Length; i++)
        {
            var touch = new Dictionary<string, object> { ["x"] = box.X + (points[i].X * scale), ["y"] = box.Y + (points[i].Y * scale) };
            await cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
            {
                ["type"] = i == 0 ? "touchStart" : "touchMove",
                ["touchPoints"] = new[] { touch },
            });
        }

        await cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object> { ["type"] = "touchEnd", ["touchPoints"] = Array.Empty<object>() });
        await WaitIdle(page, before);
        var (predicted, model, p) = await Answer(page);
        Assert.Equal(7, predicted);
        Assert.Equal("deep_convnet_params", model);
        Assert.True(Math.Abs(p.Sum() - 1) <= 1e-3, $"the bars sum to {p.Sum()}");
        Assert.True(await PreviewInk(page) > 0, "the 28x28 preview is empty");
    }

    /// <summary>
    /// Clear while a request is in flight, then a new drawing: the old drawing's answer (held back by route interception
    /// until the new drawing is made) must be dropped, so the page only ever shows the new drawing's digit.
    /// </summary>
    [ChromiumFact]
    public async Task An_answer_for_a_cleared_drawing_is_dropped()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 540 } });
        var page = await Open(context);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int held = 0;
        await page.RouteAsync(PredictUrl(), async route =>
        {
            // The first request (the 1) waits until the drawing has been cleared and a 0 drawn.
            if (Interlocked.Increment(ref held) == 1)
            {
                arrived.TrySetResult();
                await release.Task;
            }

            await route.ContinueAsync();
        });
        // Every digit the page shows, in order.
        await page.EvaluateAsync("() => { window.shown = []; new MutationObserver(() => window.shown.push(document.getElementById('predicted').textContent)).observe(document.getElementById('predicted'), { childList: true, characterData: true, subtree: true }); }");
        int before = await Answers(page);
        await Strokes(page, Digits.Single(d => d.Digit == 1).Strokes);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await page.ClickAsync("#clear");
        await Strokes(page, Digits.Single(d => d.Digit == 0).Strokes);
        release.SetResult();
        await WaitIdle(page, before);
        var (predicted, _, p) = await Answer(page);
        Assert.Equal(0, predicted);
        Assert.True(Math.Abs(p.Sum() - 1) <= 1e-3, $"the bars sum to {p.Sum()}");
        // "–" from Clear, then only the new drawing's answer: never the cleared 1.
        Assert.Equal(["–", "0"], await page.EvaluateAsync<string[]>("() => window.shown"));
        Assert.Equal(before + 1, await Answers(page));
    }

    /// <summary>A second finger put down during a stroke draws nothing: only the first finger's stroke is ink.</summary>
    [ChromiumFact]
    public async Task A_second_finger_is_ignored_until_the_first_lifts()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        await using var context = await browser.NewContextAsync(TouchScreen);
        var page = await Open(context);
        var cdp = await context.NewCDPSessionAsync(page);
        int before = await Answers(page);
        var box = await page.Locator("#pad").BoundingBoxAsync() ?? throw new InvalidOperationException("no #pad");
        double scale = box.Width / 280;
        var stroke = Digits.Single(d => d.Digit == 1).Strokes[0];
        var points = FingerPath(stroke);
        Dictionary<string, object> Touch(double x, double y, int id) => new() { ["x"] = box.X + (x * scale), ["y"] = box.Y + (y * scale), ["id"] = id };
        for (int i = 0; i < points.Length; i++)
        {
            // From the third point on, a second finger rests and slides in the bottom-left corner (x 20..40, y 240..260).
            var touches = new List<Dictionary<string, object>> { Touch(points[i].X, points[i].Y, 1) };
            if (i >= 2)
            {
                touches.Add(Touch(20 + Math.Min(20, i - 2), 240 + Math.Min(20, i - 2), 2));
            }

            await cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
            {
                ["type"] = i == 0 || i == 2 ? "touchStart" : "touchMove",
                ["touchPoints"] = touches.ToArray(),
            });
        }

        await cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object> { ["type"] = "touchEnd", ["touchPoints"] = Array.Empty<object>() });
        await WaitIdle(page, before);
        // The corner the second finger touched (with the pen's radius, 9 pixels, around it) is still black.
        int corner = await page.EvalOnSelectorAsync<int>("#pad",
            "c => { const d = c.getContext('2d').getImageData(0, 200, 90, 80).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }");
        Assert.Equal(0, corner);
        Assert.True(await page.EvalOnSelectorAsync<int>("#pad", InkScript) > 0, "the first finger drew nothing");
        Assert.Equal(1, (await Answer(page)).Predicted);
    }

    /// <summary>A 502 page from a proxy (HTML, not JSON) is reported as such, not as a JSON parse error.</summary>
    [ChromiumFact]
    public async Task A_non_json_error_page_shows_a_sensible_message()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 540 } });
        var page = await Open(context);
        await page.RouteAsync(PredictUrl(), route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 502,
            ContentType = "text/html",
            Body = "<html><body><h1>502 Bad Gateway</h1></body></html>",
        }));
        await Strokes(page, Digits.Single(d => d.Digit == 7).Strokes);
        await page.WaitForFunctionAsync("() => document.getElementById('pad').dataset.busy === 'false' && document.getElementById('status').textContent !== ''");
        string status = await page.TextContentAsync("#status") ?? "";
        Assert.Matches(@"^The server answered 502 .*without JSON \(is a proxy in the way\?\)\.$", status);
        Assert.Equal("–", await page.TextContentAsync("#predicted"));
    }

    /// <summary>The page's prediction requests, whatever their query (?model=...).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"/api/predict(\?|$)")]
    private static partial System.Text.RegularExpressions.Regex PredictUrl();

    /// <summary>Each bar's fill, as drawn, is its probability's share of the track (within 0.01), once the width transition ends.</summary>
    private static async Task AssertBarsDrawn(IPage page, double[] p)
    {
        await page.WaitForFunctionAsync("() => document.getAnimations().length === 0");
        var drawn = await page.EvalOnSelectorAllAsync<double[]>(".bar",
            "bs => bs.map(b => b.querySelector('.fill').getBoundingClientRect().width / b.querySelector('.track').getBoundingClientRect().width)");
        Assert.Equal(10, drawn.Length);
        for (int d = 0; d < 10; d++)
        {
            Assert.True(Math.Abs(drawn[d] - p[d]) <= 0.01, $"bar {d} is drawn {drawn[d]:0.000} of its track for p = {p[d]:0.000}");
        }
    }

    /// <summary>The sum of the red channel over a canvas: 0 when it is all black.</summary>
    private const string InkScript = "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }";

    /// <summary>A phone-sized touch screen, for the finger tests.</summary>
    private static BrowserNewContextOptions TouchScreen => new()
    {
        HasTouch = true,
        IsMobile = true,
        ViewportSize = new ViewportSize { Width = 400, Height = 800 },
    };

    /// <summary>A stroke as a finger sends it: eight touch points per segment, then the last point.</summary>
    private static (double X, double Y)[] FingerPath((double X, double Y)[] stroke) =>
        stroke.Zip(stroke.Skip(1))
            .SelectMany(s => Enumerable.Range(0, 8).Select(k => (s.First.X + ((s.Second.X - s.First.X) * k / 8), s.First.Y + ((s.Second.Y - s.First.Y) * k / 8))))
            .Append(stroke[^1])
            .ToArray();

    private static Task<int> PreviewInk(IPage page) => page.EvalOnSelectorAsync<int>("#preview", InkScript);

    private static async Task<int> Answers(IPage page) =>
        int.Parse(await page.GetAttributeAsync("#predicted", "data-answers") ?? "0", CultureInfo.InvariantCulture);

    /// <summary>Draws the strokes with the mouse (button down, moves in small steps, up), as a user's hand would.</summary>
    private static async Task Draw(IPage page, (double X, double Y)[][] strokes)
    {
        int before = await Answers(page);
        await Strokes(page, strokes);
        await WaitIdle(page, before);
    }

    /// <summary>The mouse strokes of <see cref="Draw"/>, without waiting for the answer.</summary>
    private static async Task Strokes(IPage page, (double X, double Y)[][] strokes)
    {
        var box = await page.Locator("#pad").BoundingBoxAsync() ?? throw new InvalidOperationException("no #pad");
        double scale = box.Width / 280;
        foreach (var stroke in strokes)
        {
            await page.Mouse.MoveAsync((float)(box.X + (stroke[0].X * scale)), (float)(box.Y + (stroke[0].Y * scale)));
            await page.Mouse.DownAsync();
            foreach (var (x, y) in stroke.Skip(1))
            {
                await page.Mouse.MoveAsync((float)(box.X + (x * scale)), (float)(box.Y + (y * scale)), new MouseMoveOptions { Steps = 8 });
            }

            await page.Mouse.UpAsync();
        }
    }

    /// <summary>Waits until the page has answered after <paramref name="before"/> answers and has no request in flight or pending.</summary>
    private static Task WaitIdle(IPage page, int before) =>
        page.WaitForFunctionAsync(
            "n => document.getElementById('pad').dataset.busy === 'false' && +document.getElementById('predicted').dataset.answers > n", before);

    private static async Task<(int Predicted, string Model, double[] P)> Answer(IPage page)
    {
        string text = await page.TextContentAsync("#predicted") ?? "";
        string model = await page.TextContentAsync("#answer-model") ?? "";
        var p = (await page.EvalOnSelectorAllAsync<string[]>(".bar", "bs => bs.map(b => b.dataset.p)"))
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return (int.TryParse(text, out int k) ? k : -1, model, p);
    }

    /// <summary>The README's picture with DEEPSCRATCH_UPDATE_SCREENSHOT=1, else the temp folder's deepscratch-serve.png; either way it must be a PNG.</summary>
    private static async Task Screenshot(IPage page)
    {
        string path = Environment.GetEnvironmentVariable("DEEPSCRATCH_UPDATE_SCREENSHOT") == "1"
            ? Path.Combine(TestData.RepositoryRoot, "docs", "images", "serve.png")
            : Path.Combine(Path.GetTempPath(), "deepscratch-serve.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }
}
