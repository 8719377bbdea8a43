import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Oracle for cdcops's debezium.Validate: feeds offset maps to a real
 * Debezium OffsetContext.Loader and prints, per input line, "ok" or
 * "throw <exception class>: <message>".
 *
 * Usage: java -cp <harness>:<plugin dir>/* LoaderOracle postgres|mysql|mariadb
 * Input: one JSON object per line (the offset value as the offsets topic
 * holds it). Numbers are read as Connect's schemaless JsonConverter reads
 * them: integral as Long, others as Double. Everything Debezium is reached
 * by reflection, so this compiles without the jars and runs against
 * whichever plugin directory is on the classpath.
 */
public class LoaderOracle {
    public static void main(String[] args) throws Exception {
        String pkg;
        String config;
        String context;
        switch (args[0]) {
            case "postgres":
                pkg = "io.debezium.connector.postgresql.";
                config = "PostgresConnectorConfig";
                context = "PostgresOffsetContext";
                break;
            case "mysql":
                pkg = "io.debezium.connector.mysql.";
                config = "MySqlConnectorConfig";
                context = "MySqlOffsetContext";
                break;
            case "mariadb":
                pkg = "io.debezium.connector.mariadb.";
                config = "MariaDbConnectorConfig";
                context = "MariaDbOffsetContext";
                break;
            default:
                throw new IllegalArgumentException("kind " + args[0]);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("topic.prefix", "s");
        props.put("database.hostname", "127.0.0.1");
        props.put("database.user", "u");
        props.put("database.server.id", "1");
        Class<?> confClass = Class.forName("io.debezium.config.Configuration");
        Object conf = confClass.getMethod("from", Map.class).invoke(null, props);
        Class<?> cfgClass = Class.forName(pkg + config);
        Object cfg = cfgClass.getConstructor(confClass).newInstance(conf);
        Class<?> loaderClass = Class.forName(pkg + context + "$Loader");
        Constructor<?> ctor = loaderClass.getConstructor(cfgClass);
        Object loader = ctor.newInstance(cfg);
        java.lang.reflect.Method load = loaderClass.getMethod("load", Map.class);

        Class<?> mapperClass = Class.forName("com.fasterxml.jackson.databind.ObjectMapper");
        Object mapper = mapperClass.getConstructor().newInstance();
        Class<?> feature = Class.forName("com.fasterxml.jackson.databind.DeserializationFeature");
        Object useLong = feature.getField("USE_LONG_FOR_INTS").get(null);
        mapperClass.getMethod("enable", feature).invoke(mapper, useLong);
        java.lang.reflect.Method readValue = mapperClass.getMethod("readValue", String.class, Class.class);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null;) {
            @SuppressWarnings("unchecked")
            Map<String, Object> offset = (Map<String, Object>) readValue.invoke(mapper, line, HashMap.class);
            try {
                load.invoke(loader, offset);
                out.append("ok\n");
            }
            catch (InvocationTargetException e) {
                Throwable c = e.getCause();
                out.append("throw ").append(c.getClass().getName()).append(": ")
                        .append(String.valueOf(c.getMessage()).replace('\n', ' ')).append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }
}
