reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Sans Mono,9" background rgb "#000000" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#5F5F5F"
set tics textcolor rgb "#BCBCBC" nomirror
set key textcolor rgb "#BCBCBC" top left opaque box lc rgb "#3A3A3A"
set title textcolor rgb "#FFB000"
set xlabel textcolor rgb "#BCBCBC"
set ylabel textcolor rgb "#BCBCBC"
set y2label textcolor rgb "#BCBCBC"
set border 9 lc rgb "#5F5F5F"
unset ytics
set y2tics textcolor rgb "#BCBCBC" nomirror
set link y2
set grid xtics y2tics lc rgb "#303030" lw 1 dt 1
set title "mid"
set xdata time
set timefmt "%s"
set xtics 10
set format x "%H:%M:%S" timedate
set key
set xlabel "time"
set y2label "price (USDT)"
unset ylabel
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#FFB000" title "mid", \
     '$DATA0_1' binary format="%float64%float64" using 1:2 with steps lw 1.5 dt 1 lc rgb "#00D7FF" title "microprice"
unset output
