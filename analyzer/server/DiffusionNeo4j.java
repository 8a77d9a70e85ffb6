// Starts an embedded Neo4j 5.26 Community DBMS with Bolt on loopback.
// Used by `diffusion neo4j start`; compiled with javac against the jars that
// pom.xml resolves. Runs until SIGTERM, then shuts the DBMS down cleanly.
//
// Usage: java -cp classes:lib/* DiffusionNeo4j HOME PORT PAGECACHE_BYTES TX_MEMORY_BYTES PLUGINS
// PLUGINS is the folder of procedure jars (diffusion's own, DiffusionProcedures.java).
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class DiffusionNeo4j {
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: DiffusionNeo4j HOME PORT PAGECACHE_BYTES TX_MEMORY_BYTES "
                               + "PLUGINS");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        long pageCache = Long.parseLong(args[2]);
        long txMemory = Long.parseLong(args[3]);
        Path plugins = Path.of(args[4]).toAbsolutePath();

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemory)
                .setConfig(GraphDatabaseSettings.plugin_dir, plugins)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("diffusion-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("diffusion-neo4j: stopped");
            stopped.countDown();
        }));
        // Touch the default database so startup failures surface here, not at first query.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).isAvailable(60_000);
        System.out.println("diffusion-neo4j: ready bolt://127.0.0.1:" + port);
        stopped.await();
    }
}
