using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenPipe.Client;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The usage view's chart of tokens per UTC day, laid out on the server for an inline SVG (no script, no
/// chart library): one bar per day from the first to the last day with calls (days without any are
/// empty bars), prompt tokens at the bottom and the rest of the day's total above, a y axis with round
/// steps and a few day labels. At most <see cref="MaxDays"/> days, the latest.
/// </summary>
public sealed class TokenChart
{
    /// <summary>The most days drawn.</summary>
    public const int MaxDays = 366;

    /// <summary>The drawing's width in SVG units.</summary>
    public const double Width = 960;

    /// <summary>The drawing's height in SVG units.</summary>
    public const double Height = 280;

    /// <summary>Left of the plot (room for the y axis' labels).</summary>
    public const double PlotLeft = 64;

    /// <summary>Top of the plot.</summary>
    public const double PlotTop = 12;

    /// <summary>Bottom of the plot (room for the day labels below).</summary>
    public const double PlotBottom = Height - 36;

    /// <summary>Right of the plot.</summary>
    public const double PlotRight = Width - 8;

    private const int YSteps = 4;

    private TokenChart(IReadOnlyList<TokenBar> bars, IReadOnlyList<ChartLabel> yTicks, IReadOnlyList<ChartLabel> xLabels, long total, int daysLeftOut)
    {
        Bars = bars;
        YTicks = yTicks;
        XLabels = xLabels;
        TotalTokens = total;
        DaysLeftOut = daysLeftOut;
    }

    /// <summary>The bars, oldest day first.</summary>
    public IReadOnlyList<TokenBar> Bars { get; }

    /// <summary>The y axis' values (at <see cref="ChartLabel.Position"/>, a y coordinate).</summary>
    public IReadOnlyList<ChartLabel> YTicks { get; }

    /// <summary>The days labelled under the bars (at <see cref="ChartLabel.Position"/>, an x coordinate).</summary>
    public IReadOnlyList<ChartLabel> XLabels { get; }

    /// <summary>The tokens of every drawn day.</summary>
    public long TotalTokens { get; }

    /// <summary>How many earlier days were left out to keep to <see cref="MaxDays"/>.</summary>
    public int DaysLeftOut { get; }

    /// <summary>Lays out the chart of a usage report grouped by day.</summary>
    /// <param name="days">The rows, grouped by UTC day (<c>YYYY-MM-DD</c>); others are ignored.</param>
    /// <returns>The chart (no bars when there is no day).</returns>
    public static TokenChart From(IEnumerable<UsageRow> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        var byDay = new SortedDictionary<DateOnly, UsageRow>();
        foreach (var row in days)
        {
            if (DateOnly.TryParseExact(row.Group, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                byDay[day] = row;
            }
        }

        if (byDay.Count == 0)
        {
            return new TokenChart([], [], [], 0, 0);
        }

        DateOnly last = byDay.Keys.Last();
        DateOnly first = byDay.Keys.First();
        int span = last.DayNumber - first.DayNumber + 1;
        int leftOut = Math.Max(0, span - MaxDays);
        first = first.AddDays(leftOut);
        int count = span - leftOut;

        var totals = new (DateOnly Day, long Prompt, long Completion, long Total)[count];
        for (int i = 0; i < count; i++)
        {
            var day = first.AddDays(i);
            totals[i] = byDay.TryGetValue(day, out var row)
                ? (day, row.PromptTokens, row.CompletionTokens, Math.Max(row.TotalTokens, row.PromptTokens + row.CompletionTokens))
                : (day, 0, 0, 0);
        }

        long max = totals.Max(t => t.Total);
        long step = NiceStep(max);
        double top = step * YSteps;
        double plotHeight = PlotBottom - PlotTop;
        double slot = (PlotRight - PlotLeft) / count;
        double barWidth = Math.Max(1, slot * 0.8);
        var bars = new List<TokenBar>(count);
        for (int i = 0; i < count; i++)
        {
            var (day, prompt, completion, total) = totals[i];
            double x = PlotLeft + (i * slot) + ((slot - barWidth) / 2);
            double promptHeight = Math.Min(prompt, total) / top * plotHeight;
            double restHeight = (total / top * plotHeight) - promptHeight;
            bars.Add(new TokenBar(
                day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), x, barWidth,
                PlotBottom - promptHeight, promptHeight, PlotBottom - promptHeight - restHeight, restHeight, prompt, completion, total));
        }

        var yTicks = Enumerable.Range(0, YSteps + 1)
            .Select(s => new ChartLabel(Short(step * s), PlotBottom - (s * plotHeight / YSteps)))
            .ToList();

        // The first and the last day, and evenly spaced days between, at most six labels.
        int every = Math.Max(1, (int)Math.Ceiling(count / 6.0));
        var xLabels = new List<ChartLabel>();
        for (int i = 0; i < count; i += every)
        {
            xLabels.Add(new ChartLabel(bars[i].Day, bars[i].X + (barWidth / 2)));
        }

        if ((count - 1) % every != 0)
        {
            xLabels.Add(new ChartLabel(bars[^1].Day, bars[^1].X + (barWidth / 2)));
        }

        return new TokenChart(bars, yTicks, xLabels, totals.Sum(t => t.Total), leftOut);
    }

    /// <summary>A coordinate as SVG takes it.</summary>
    /// <param name="value">The coordinate.</param>
    /// <returns>The text.</returns>
    public static string Coordinate(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A token count for an axis: 950, 12k, 1.5M.</summary>
    /// <param name="value">The count.</param>
    /// <returns>The text.</returns>
    public static string Short(long value) => value switch
    {
        >= 1_000_000_000 => (value / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1_000_000 => (value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The y axis' step: 1, 2, 2.5 or 5 times a power of ten, the least of them with which four steps reach <paramref name="max"/>.</summary>
    private static long NiceStep(long max)
    {
        double raw = Math.Max(1, max) / (double)YSteps;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw <= power ? power : raw <= 2 * power ? 2 * power : raw <= 2.5 * power ? 2.5 * power : raw <= 5 * power ? 5 * power : 10 * power;
        return Math.Max(1, (long)Math.Ceiling(step));
    }
}

/// <summary>One day's bar: prompt tokens from the bottom, the rest of the day's total above them.</summary>
/// <param name="Day">The UTC day, <c>YYYY-MM-DD</c>.</param>
/// <param name="X">Left edge.</param>
/// <param name="Width">Width.</param>
/// <param name="PromptY">Top of the prompt part.</param>
/// <param name="PromptHeight">Height of the prompt part.</param>
/// <param name="RestY">Top of the rest.</param>
/// <param name="RestHeight">Height of the rest.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="TotalTokens">Total tokens.</param>
public sealed record TokenBar(string Day, double X, double Width, double PromptY, double PromptHeight, double RestY, double RestHeight, long PromptTokens, long CompletionTokens, long TotalTokens);

/// <summary>A label on an axis.</summary>
/// <param name="Text">The text.</param>
/// <param name="Position">Where along the axis.</param>
public sealed record ChartLabel(string Text, double Position);
