namespace DeepScratch.Data;

/// <summary>
/// The data folder: where MNIST, Fashion-MNIST and the book's weights live, laid out as
/// <c>&lt;dir&gt;/mnist/…</c>, <c>&lt;dir&gt;/fashion-mnist/…</c>, <c>&lt;dir&gt;/weights/*.pkl</c>.
/// The folder is chosen as <c>--data DIR</c>, else <c>DEEPSCRATCH_DATA</c>, else a per-user cache folder.
/// Missing files are downloaded into it unless downloads are off.
/// </summary>
public sealed class DataStore
{
    /// <summary>The environment variable naming the data folder.</summary>
    public const string DataVariable = "DEEPSCRATCH_DATA";

    /// <summary>Set to 1 to forbid downloads (offline machines, tests).</summary>
    public const string OfflineVariable = "DEEPSCRATCH_OFFLINE";

    /// <summary>Creates a store on <paramref name="root"/>; a null <paramref name="downloader"/> means offline.</summary>
    public DataStore(string root, FileDownloader? downloader)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        Downloader = downloader;
    }

    /// <summary>The data folder, absolute.</summary>
    public string Root { get; }

    /// <summary>Fetches missing files; null when offline.</summary>
    public FileDownloader? Downloader { get; }

    /// <summary>How the folder was chosen, for messages ("--data", "DEEPSCRATCH_DATA" or "default cache").</summary>
    public string Origin { get; private init; } = "explicit";

    /// <summary>
    /// The store the user asked for: <paramref name="explicitDirectory"/> (the <c>--data</c> option) first, then
    /// <c>DEEPSCRATCH_DATA</c>, then <see cref="DefaultDirectory"/>. Downloads are on unless <c>DEEPSCRATCH_OFFLINE=1</c>.
    /// </summary>
    public static DataStore Resolve(string? explicitDirectory = null)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(DataVariable);
        var (root, origin) = !string.IsNullOrWhiteSpace(explicitDirectory) ? (explicitDirectory, "--data")
            : !string.IsNullOrWhiteSpace(fromEnvironment) ? (fromEnvironment, DataVariable)
            : (DefaultDirectory, "default cache");
        return new DataStore(root, IsOfflineByEnvironment ? null : new FileDownloader()) { Origin = origin };
    }

    private static bool IsOfflineByEnvironment => Environment.GetEnvironmentVariable(OfflineVariable) is "1" or "true";

    /// <summary>The per-user cache: <c>$XDG_CACHE_HOME/deepscratch</c>, <c>~/.cache/deepscratch</c>, or LocalAppData on Windows.</summary>
    public static string DefaultDirectory
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "DeepScratch");
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string cache = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "deepscratch");
        }
    }

    /// <summary>Where <paramref name="file"/> is stored (or will be) in this store, as published.</summary>
    public string PathOf(DatasetFile file) => Path.Combine(Root, file.Folder, file.FileName);

    /// <summary>
    /// The existing copy of <paramref name="file"/> under any of its <see cref="DatasetFile.CandidateNames"/>, in its
    /// sub-folder, loose in the data folder (when <see cref="DatasetFile.LooseInRoot"/>), or in its system folder; null if none.
    /// </summary>
    public string? Find(DatasetFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (string folder in FoldersOf(file))
        {
            foreach (string name in file.CandidateNames)
            {
                string candidate = Path.Combine(folder, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The copy of <paramref name="file"/> in <paramref name="folder"/> under any of its candidate names, or null.</summary>
    private static string? FindIn(DatasetFile file, string folder) =>
        file.CandidateNames.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Where each of <paramref name="files"/> is ("" when missing). Files of one dataset (the same
    /// <see cref="DatasetFile.Folder"/>) are taken from one folder: the first, in search order, that holds any of
    /// them, so images never meet the labels of another copy; a file absent there counts as missing even when another
    /// folder has it. <paramref name="chosen"/> gets that folder for each dataset.
    /// </summary>
    private string[] Locate(IReadOnlyList<DatasetFile> files, Dictionary<string, string> chosen)
    {
        var paths = new string[files.Count];
        foreach (var group in files.Select((file, i) => (File: file, Index: i)).GroupBy(x => x.File.Folder, StringComparer.Ordinal))
        {
            string? folder = FoldersOf(group.First().File).FirstOrDefault(d => group.Any(x => FindIn(x.File, d) is not null));
            if (folder is not null)
            {
                chosen[group.Key] = folder;
            }

            foreach (var (file, i) in group)
            {
                paths[i] = folder is null ? "" : FindIn(file, folder) ?? "";
            }
        }

        return paths;
    }

    /// <summary>Files where <paramref name="file"/> is looked for whose names resemble it but are not accepted (letter case, '_' for '-').</summary>
    public IReadOnlyList<string> FindMisnamed(DatasetFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var found = new List<string>();
        foreach (string folder in FoldersOf(file).Where(Directory.Exists))
        {
            try
            {
                found.AddRange(Directory.EnumerateFiles(folder).Where(p => file.ResemblesName(Path.GetFileName(p))));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable folder has no hint to give; the file is reported missing as before.
            }
        }

        return found;
    }

    private IEnumerable<string> FoldersOf(DatasetFile file)
    {
        yield return Path.Combine(Root, file.Folder);
        if (file.LooseInRoot)
        {
            yield return Root;
        }

        if (file.SystemFolder is not null)
        {
            yield return file.SystemFolder;
        }
    }

    /// <summary>The paths of <paramref name="files"/>, downloading the missing ones.</summary>
    /// <exception cref="DataUnavailableException">
    /// Some files are missing and could not be fetched; the message names all of them and how to provide them.
    /// </exception>
    public IReadOnlyList<string> Ensure(IReadOnlyList<DatasetFile> files, IProgress<DownloadProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        var paths = Locate(files, chosen);
        var missing = files.Where((_, i) => paths[i].Length == 0).ToList();

        if (missing.Count == 0)
        {
            return paths;
        }

        if (File.Exists(Root))
        {
            throw new DataUnavailableException(
                $"the data folder {Root} (from {Origin}) is a file, not a folder. Point --data or {DataVariable} at a folder.");
        }

        string reason = IsOfflineByEnvironment ? $"downloads are off ({OfflineVariable}=1)" : "downloads are off";
        // A set partly present elsewhere than its sub-folder (loose in the data folder, or a system folder) is completed
        // only there: a download into the sub-folder would not pair with it, so say where the rest must go instead.
        var elsewhere = missing.Where(f => chosen.TryGetValue(f.Folder, out string? d) && d != Path.GetDirectoryName(PathOf(f))).ToList();
        if (elsewhere.Count > 0)
        {
            var first = elsewhere[0];
            string folder = chosen[first.Folder];
            string others = string.Join(", ", elsewhere.Select(f => Find(f)).Where(p => p is not null));
            throw new DataUnavailableException(
                $"missing {string.Join(", ", elsewhere.Select(f => Path.Combine(folder, f.FileName)))}: the rest of the "
                + $"{first.Folder} set is in {folder} (data folder from {Origin}), and images and labels must come from one folder."
                + (others.Length > 0 ? $" Not used: {others} (another copy)." : "")
                + $" Put the missing files beside the others, or remove those so the set is read from {Path.Combine(Root, first.Folder)}.");
        }

        if (missing.Any(f => FindMisnamed(f).Count > 0))
        {
            // The user has the data under a name we do not accept: fetching a second copy beside it would hide that.
            reason = "not downloaded, since a copy seems to be there under another name";
        }
        else if (Downloader is not null)
        {
            var errors = new List<string>();
            foreach (var file in missing)
            {
                try
                {
                    Downloader.Download(file, PathOf(file), progress);
                }
                catch (DataUnavailableException e)
                {
                    errors.Add(e.Message);
                }
            }

            if (errors.Count == 0)
            {
                return Locate(files, chosen);
            }

            reason = string.Join("; ", errors);
        }

        string names = string.Join(", ", missing.Select(PathOf));
        // Another copy of a missing file (say, the system's Fashion-MNIST) does not complete a set found here.
        string unused = string.Join(", ", missing.Select(f => Find(f)).Where(p => p is not null));
        string renames = string.Concat(missing.SelectMany(f => FindMisnamed(f).Select(p => $" Found {p}: rename it to {f.FileName}.")));
        throw new DataUnavailableException(
            $"missing {names} (data folder from {Origin}); {reason}.{renames}" +
            (unused.Length > 0 ? $" Not used: {unused} (another copy: images and labels must come from one folder)." : "") + " " +
            $"Put the files there, or point --data or {DataVariable} at a folder that holds {missing[0].RelativePath}.");
    }

    /// <summary>The path of one file, downloading it if missing; see <see cref="Ensure(IReadOnlyList{DatasetFile}, IProgress{DownloadProgress})"/>.</summary>
    public string Ensure(DatasetFile file, IProgress<DownloadProgress>? progress = null) => Ensure([file], progress)[0];
}
