using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// What the two engines share: the batched multi-row insert (<c>ON CONFLICT (entry_id) DO NOTHING</c>,
/// so a batch written again is not duplicated), the cache upsert and lookup, and tag updates. The
/// engines add their connections, column types and migrations.
/// </summary>
public abstract partial class RelationalGatewayStore : IGatewayStore
{
    /// <summary>The request log's columns, in insert order.</summary>
    protected static readonly string[] LogColumns =
    [
        "entry_id", "received_at", "key_id", "model", "backend", "stream", "status", "error", "latency_ms",
        "prompt_tokens", "completion_tokens", "total_tokens", "request_json", "response_json", "metadata_json", "tags",
        "criteria", "cache_hit", "completion_id",
    ];

    private long puts;

    /// <inheritdoc />
    public abstract string Provider { get; }

    /// <inheritdoc />
    public abstract Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public async Task WriteLogAsync(IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var logged = entries.Where(e => !e.TokensOnly).ToList();
        var counted = entries.Where(e => e.TokensOnly).ToList();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (logged.Count > 0)
        {
            await InsertRowsAsync(connection, transaction, logged, cancellationToken).ConfigureAwait(false);
            await InsertLabelsAsync(connection, transaction, logged, cancellationToken).ConfigureAwait(false);
        }

        if (counted.Count > 0)
        {
            await InsertUnloggedUsageAsync(connection, transaction, counted, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts the rows inside the open transaction. This default prepares one single-row
    /// <c>INSERT ... ON CONFLICT (entry_id) DO NOTHING</c> and runs it per row with new values, the
    /// fastest way into an embedded engine; a server engine may send them in one round trip instead.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction.</param>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every row was sent.</returns>
    protected virtual async Task InsertRowsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(entries);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = InsertSql;
        for (int column = 0; column < LogColumns.Length; column++)
        {
            Add(insert, "@" + LogColumns[column], null);
        }

        await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            object?[] values = ValuesOf(entry);
            for (int column = 0; column < values.Length; column++)
            {
                insert.Parameters[column].Value = values[column] ?? DBNull.Value;
            }

            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The single-row insert, with one <c>@column</c> parameter per column of <see cref="LogColumns"/>.</summary>
    protected static string InsertSql { get; } =
        $"INSERT INTO request_log ({string.Join(", ", LogColumns)}) VALUES ({string.Join(", ", LogColumns.Select(c => "@" + c))}) ON CONFLICT (entry_id) DO NOTHING";

    /// <summary>An entry's values, in the order of <see cref="LogColumns"/>.</summary>
    /// <param name="e">The entry.</param>
    /// <returns>The values (null for SQL NULL).</returns>
    protected object?[] ValuesOf(RequestLogEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return
        [
            e.EntryId, ReceivedAtValue(e.ReceivedAt), e.KeyId, e.Model, e.Backend, e.Stream ? 1 : 0, e.Status, e.Error, e.LatencyMs,
            e.PromptTokens, e.CompletionTokens, e.TotalTokens, e.RequestJson, e.ResponseJson, e.MetadataJson, e.Tags,
            e.Criteria, e.CacheHit ? 1 : 0, e.CompletionId,
        ];
    }

    /// <inheritdoc />
    public async Task<string?> GetCachedAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT completion_json FROM response_cache WHERE cache_key = @key AND expires_at > @now";
        Add(select, "@key", key);
        Add(select, "@now", now.ToUnixTimeMilliseconds());
        return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <inheritdoc />
    public async Task PutCachedAsync(string key, string completionJson, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO response_cache (cache_key, completion_json, created_at, expires_at) VALUES (@key, @json, @created, @expires)
            ON CONFLICT (cache_key) DO UPDATE SET completion_json = excluded.completion_json, created_at = excluded.created_at, expires_at = excluded.expires_at
            """;
        Add(upsert, "@key", key);
        Add(upsert, "@json", completionJson);
        Add(upsert, "@created", createdAt.ToUnixTimeMilliseconds());
        Add(upsert, "@expires", expiresAt.ToUnixTimeMilliseconds());
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Increment(ref puts) % 256 == 0)
        {
            // Now and then, drop what has expired so the table does not only grow.
            await using var prune = connection.CreateCommand();
            prune.CommandText = "DELETE FROM response_cache WHERE expires_at <= @now";
            Add(prune, "@now", createdAt.ToUnixTimeMilliseconds());
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<int> UpdateTagsAsync(string keyId, IReadOnlyList<LogFilter> filters, IReadOnlyDictionary<string, TagValue> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(tags);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.Transaction = transaction;
        var sql = new StringBuilder("SELECT id, tags FROM request_log WHERE key_id = @key_id");
        Add(select, "@key_id", keyId);
        var tagFilters = new List<LogFilter>();
        for (int i = 0; i < filters.Count; i++)
        {
            string? column = filters[i].Field switch { "model" => "model", "completionId" => "completion_id", _ => null };
            if (column is null)
            {
                tagFilters.Add(filters[i]);
                continue;
            }

            sql.Append(" AND ").Append(column).Append(" = @f").Append(i);
            Add(select, "@f" + i, LogFilter.TextOf(filters[i].EqualsValue));
        }

        select.CommandText = sql.ToString();
        var matched = new List<(long Id, Dictionary<string, TagValue> Tags)>();
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var current = reader.IsDBNull(1) ? [] : ParseTags(reader.GetString(1));
                if (tagFilters.All(f => current.TryGetValue(f.Field["tags.".Length..], out var value) && f.Matches(value)))
                {
                    matched.Add((reader.GetInt64(0), current));
                }
            }
        }

        foreach (var (id, current) in matched)
        {
            foreach (var (name, value) in tags)
            {
                if (value.IsNull)
                {
                    current.Remove(name);
                }
                else
                {
                    current[name] = value;
                }
            }

            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "UPDATE request_log SET tags = @tags WHERE id = @id";
            Add(update, "@tags", RequestLogEntry.TagsJson(current));
            Add(update, "@id", id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await ReplaceTagRowsAsync(connection, transaction, id, current, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return matched.Count;
    }

    /// <summary>Opens a connection.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The open connection.</returns>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>How <c>received_at</c> is stored.</summary>
    /// <param name="receivedAt">The time.</param>
    /// <returns>The parameter value.</returns>
    protected abstract object ReceivedAtValue(DateTimeOffset receivedAt);

    /// <summary>Adds a parameter (null as DBNull).</summary>
    /// <param name="command">The command.</param>
    /// <param name="name">The name, with its <c>@</c>.</param>
    /// <param name="value">The value.</param>
    protected static void Add(DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Runs a statement with no parameters.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="sql">The statement.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it ran.</returns>
    protected static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, TagValue> ParseTags(string json) =>
        OpenPipeTags.TryParse(json, out var tags, out _) ? new Dictionary<string, TagValue>(tags!, StringComparer.Ordinal) : [];
}
